import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Positional reads from an open safetensors file: the header as `Data`, and each tensor's bytes
/// converted to Float32 through a bounded chunk buffer straight into the tensor's storage.
final class SafetensorsFileReader {
    /// The file's size in bytes.
    let size: Int
    private let descriptor: Int32

    /// The bytes converted per read (8 MiB).
    static let chunkSize = 8 << 20

    /// Opens the file at `path` for reading.
    init(path: String) throws(WeightsError.Reason) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .unreadable(FileReadFailure(errno: errno).reason) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let message = Self.systemError()
            close(descriptor)
            throw .unreadable(message)
        }
        if let failure = FileReadFailure(mode: status.st_mode) {
            close(descriptor)
            throw .unreadable(failure.reason)
        }
        self.descriptor = descriptor
        self.size = Int(status.st_size)
    }

    deinit { close(descriptor) }

    /// The bytes of `range`.
    func bytes(_ range: Range<Int>) throws(WeightsError.Reason) -> Data {
        var data = Data(count: range.count)
        var failure: WeightsError.Reason?
        data.withUnsafeMutableBytes { buffer in
            do throws(WeightsError.Reason) { try readFully(into: buffer, at: range.lowerBound) } catch { failure = error }
        }
        if let failure { throw failure }
        return data
    }

    /// Reads `entry`'s elements `elements` (the entry starts at `dataStart + entry.begin` in the
    /// file) converted to Float32 into `destination`, one chunk at a time: F32 on a little-endian
    /// host straight into it (the file's bytes are the values: no bounce buffer, no second pass),
    /// any other type through a chunk buffer and a conversion. Positional reads only, so parts of
    /// an entry may be read from several threads at once.
    func convert(_ entry: SafetensorsLayout.Entry, dataStart: Int, elements: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) throws(WeightsError.Reason) {
        let elementSize = entry.dtype.byteCount
        // The layout has checked that the entry's byte range lies inside the file, and the caller
        // asks for elements of the entry only: no overflow.
        let start = dataStart + entry.begin + elements.lowerBound * elementSize
        if entry.dtype == .f32, Self.hostIsLittleEndian {
            // `destination` holds exactly `elements` (a range of the entry, whose byte range the
            // layout has checked); a file that shrank since is reported by the read.
            let bytes = UnsafeMutableRawBufferPointer(destination)
            var done = 0
            while done < bytes.count {
                let count = min(Self.chunkSize, bytes.count - done)
                try readFully(into: UnsafeMutableRawBufferPointer(rebasing: bytes[done..<(done + count)]), at: start + done)
                done += count
            }
            return
        }
        let elementsPerChunk = max(Self.chunkSize / elementSize, 1)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: elementsPerChunk * elementSize, alignment: 16)
        defer { chunk.deallocate() }
        var done = 0
        while done < destination.count {
            let count = min(elementsPerChunk, destination.count - done)
            let bytes = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(count * elementSize)])
            try readFully(into: bytes, at: start + done * elementSize)
            entry.dtype.convert(UnsafeRawBufferPointer(bytes), into: UnsafeMutableBufferPointer(rebasing: destination[done..<(done + count)]))
            done += count
        }
    }

    /// Fills `buffer` from `offset`, retrying short and interrupted reads.
    private func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(WeightsError.Reason) {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let result = pread(descriptor, base + done, buffer.count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadable(Self.systemError())
            }
            // The file shrank after its size was taken.
            guard result > 0 else { throw .unreadable("the file ended at byte \(offset + done) while reading (was it changed while being read?)") }
            done += result
        }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }

    private static let hostIsLittleEndian = 1.littleEndian == 1
}
