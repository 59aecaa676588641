import ArgumentParser
import Foundation

/// argument-parser reads `-1` after an option as another option, so `--percentile -1` fails with
/// "Missing value for '--percentile <q>'". This adds how to write it: `--percentile=-1`.
enum NegativeNumberHint {
    /// The options given a negative number with a space (`--tau -0.5`), as `--tau=-0.5`.
    static func corrections(in arguments: [String]) -> [String] {
        zip(arguments, arguments.dropFirst()).compactMap { option, value in
            guard option.hasPrefix("--"), !option.contains("="), value.hasPrefix("-"), Double(value) != nil else { return nil }
            return "\(option)=\(value)"
        }
    }

    /// Prints the error as argument-parser does (help and version on standard output) with the
    /// hint when a value went missing before a negative number, and exits with argument-parser's code.
    static func exit(withError error: any Error, arguments: [String]) -> Never {
        let code = RectGrad.exitCode(for: error)
        var message = RectGrad.fullMessage(for: error)
        let corrections = corrections(in: arguments)
        if code != .success, message.contains("Missing value"), !corrections.isEmpty {
            // Right after the error line, before argument-parser's help and usage lines.
            var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.insert("A negative number after a space reads as an option: write \(corrections.joined(separator: ", ")).", at: min(1, lines.count))
            message = lines.joined(separator: "\n")
        }
        if code == .success {
            print(message)
        } else if !message.isEmpty {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        RectGrad.exit(withError: code == .success ? nil : ExitCode(code.rawValue))
    }
}
