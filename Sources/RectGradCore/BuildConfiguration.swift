import Foundation

/// How this library was compiled, and the one line it writes when that makes it slow.
///
/// A package that depends on RectifiedGradient builds it with the dependent's configuration:
/// `swift build`, `swift run` and `swift test` without `-c release` compile it without
/// optimisation (`-Onone`), where attribution runs several times slower (the README's *Use as a
/// library* section shows how to build it optimised). In such a build the first ``Tape`` of the
/// process writes one line to standard error saying so; set the environment variable
/// `RECTGRAD_SILENCE_DEBUG_WARNING=1` to hide it. Optimised builds never write anything.
public enum RectGradBuild {
    /// `true` when RectGradCore was compiled with optimisation (`-O`, SwiftPM's release
    /// configuration, or `-Xswiftc -O` in a debug configuration).
    public static var isOptimized: Bool { !_isDebugAssertConfiguration() }

    /// The line written to standard error once per process by an unoptimised build.
    public static let unoptimizedWarning = "warning: RectifiedGradient was compiled without optimisation (-Onone), so attribution runs several times slower; build it with `-c release` (see the README's \"Use as a library\"). Set RECTGRAD_SILENCE_DEBUG_WARNING=1 to hide this line."

    /// Writes ``unoptimizedWarning`` the first time it is called in an unoptimised build, unless
    /// `RECTGRAD_SILENCE_DEBUG_WARNING` is set; does nothing in an optimised build.
    public static func warnOnceIfUnoptimized() {
        guard !isOptimized else { return }
        _ = warning
    }

    /// Runs once per process (a lazily initialised global is initialised exactly once).
    private static let warning: Void = {
        guard ProcessInfo.processInfo.environment["RECTGRAD_SILENCE_DEBUG_WARNING"] == nil else { return }
        FileHandle.standardError.write(Data((unoptimizedWarning + "\n").utf8))
    }()
}
