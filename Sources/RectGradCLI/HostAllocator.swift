#if canImport(Glibc)
import Glibc
#endif

/// The command's own process settings (the library never changes its host's allocator; the
/// executable that owns the process may).
///
/// glibc's malloc keeps freed memory for reuse (trim threshold 1 GiB) and serves blocks up to
/// 32 MiB from its heap instead of fresh mappings, so that the second and later passes of a
/// command (integrated gradients, SmoothGrad, several methods) reuse the pages of the first
/// instead of faulting in and zeroing new ones (vgg16 saliency: about a fifth of a pass).
enum HostAllocator {
    static func keepFreedMemory() {
        #if canImport(Glibc)
        // `mallopt` is not in the Glibc module; look it up (absent from other C libraries).
        typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 1 << 30)
        #endif
    }
}
