import Foundation
import RectGradCore

/// Reads PyTorch state dicts (`torch.save(model.state_dict(), path)`) without PyTorch, for
/// conversion to safetensors.
///
/// Both container formats are supported: the zip archive of PyTorch ≥ 1.6 (`…/data.pkl` plus raw
/// storages `…/data/0`, `…/data/1`, …, stored uncompressed) and the legacy format (a magic-number
/// pickle, a protocol pickle, a system-info pickle, the state-dict pickle, the list of storage
/// keys, then each storage as an 8-byte element count and its raw bytes).
///
/// The pickle is run by a restricted machine that accepts only `collections.OrderedDict`,
/// `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter` and the `torch.*Storage`
/// types, and never calls anything: any other global (`os.system`, `builtins.eval`, …) is refused
/// with ``CheckpointError/Reason/forbiddenGlobal(_:)``.
///
/// Float, double, half and bfloat16 tensors become Float32; integer tensors named
/// `…num_batches_tracked` are skipped; other integer tensors are refused.
public enum PyTorchCheckpoint {
    /// Reads the state dict in `url`.
    /// - Throws: ``CheckpointError`` naming the file and what is wrong.
    public static func read(contentsOf url: URL) throws(CheckpointError) -> SafetensorsFile {
        switch FileContents.read(url) {
        case .success(let data): return try decode(data, source: url.path)
        case .failure(let failure): throw CheckpointError(file: url.path, reason: .unreadable(failure.reason))
        }
    }

    /// Decodes the bytes of a `.pth` file; `source` names it in errors.
    /// - Throws: ``CheckpointError``.
    public static func decode(_ data: Data, source: String = "<data>") throws(CheckpointError) -> SafetensorsFile {
        let bytes = [UInt8](data)
        do throws(CheckpointError.Reason) {
            if StoredZipArchive.looksLikeZip(bytes) { return try decodeZip(bytes) }
            if bytes.first == 0x80 { return try decodeLegacy(bytes) }
            throw CheckpointError.Reason.notACheckpoint
        } catch {
            throw CheckpointError(file: source, reason: error)
        }
    }

    /// Converts `input` (a `.pth` state dict) to a safetensors file at `output` (F32).
    /// - Returns: the converted tensors.
    /// - Throws: ``CheckpointError`` or ``WeightsError``.
    @discardableResult
    public static func convert(_ input: URL, to output: URL) throws -> SafetensorsFile {
        let file = try read(contentsOf: input)
        try file.write(to: output)
        return file
    }

    // MARK: Zip format

    private static func decodeZip(_ bytes: [UInt8]) throws(CheckpointError.Reason) -> SafetensorsFile {
        let archive = try StoredZipArchive(bytes: bytes)
        let pickles = archive.entries.keys.filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
        guard pickles.count == 1, let pickleName = pickles.first, let pickle = archive.data(pickleName) else {
            throw .invalidArchive("expected exactly one data.pkl entry, found \(pickles.count)")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if let order = archive.data(prefix + "byteorder"), String(decoding: order, as: UTF8.self) != "little" { throw .bigEndian }
        var unpickler = RestrictedUnpickler(bytes: pickle) { (id) throws(CheckpointError.Reason) in
            // ('storage', storage_type, key, location, numel)
            guard case .tuple(let parts) = id, parts.count == 5, case .string("storage") = parts[0],
                  case .global(.storage(let type)) = parts[1], case .string(let key) = parts[2], case .integer(let count) = parts[4], count >= 0 else {
                throw .malformedPickle("unexpected persistent id")
            }
            return .storage(StorageReference(type: type, key: key, elementCount: count))
        }
        let root = try unpickler.load()
        return try stateDict(root, fileSize: bytes.count) { (reference) throws(CheckpointError.Reason) in
            guard let data = archive.data(prefix + "data/" + reference.key) else { throw .missingStorage(reference.key) }
            return data
        }
    }

    // MARK: Legacy format

    /// The magic number `0x1950a86a20f9469cfc6c` of legacy checkpoints, little endian.
    private static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    private static func decodeLegacy(_ bytes: [UInt8]) throws(CheckpointError.Reason) -> SafetensorsFile {
        let all = bytes[...]
        func noPersistentIDs(_ id: PickleValue) throws(CheckpointError.Reason) -> PickleValue { throw .malformedPickle("unexpected persistent id") }
        var magicReader = RestrictedUnpickler(bytes: all, persistentLoad: noPersistentIDs)
        guard case .bigInteger(let magic) = try magicReader.load(), magic == legacyMagic else { throw .notACheckpoint }
        var versionReader = RestrictedUnpickler(bytes: all[magicReader.position...], persistentLoad: noPersistentIDs)
        guard case .integer(let version) = try versionReader.load(), version == 1001 else { throw .malformedPickle("unsupported legacy protocol version") }
        var infoReader = RestrictedUnpickler(bytes: all[versionReader.position...], persistentLoad: noPersistentIDs)
        guard case .dictionary(let info) = try infoReader.load() else { throw .malformedPickle("missing system information") }
        for (key, value) in info.items {
            if case .string("little_endian") = key, case .bool(false) = value { throw .bigEndian }
        }
        var mainReader = RestrictedUnpickler(bytes: all[infoReader.position...]) { (id) throws(CheckpointError.Reason) in
            // ('storage', storage_type, key, location, numel, view_metadata)
            guard case .tuple(let parts) = id, parts.count == 6, case .string("storage") = parts[0],
                  case .global(.storage(let type)) = parts[1], case .string(let key) = parts[2], case .integer(let count) = parts[4], count >= 0 else {
                throw .malformedPickle("unexpected persistent id")
            }
            guard case .none = parts[5] else { throw .malformedPickle("storage views are not supported") }
            return .storage(StorageReference(type: type, key: key, elementCount: count))
        }
        let root = try mainReader.load()
        var keysReader = RestrictedUnpickler(bytes: all[mainReader.position...], persistentLoad: noPersistentIDs)
        guard case .list(let keyList) = try keysReader.load() else { throw .malformedPickle("missing the list of storage keys") }
        // Each storage: an 8-byte little-endian element count, then its bytes, in the listed order.
        var storages: [String: ArraySlice<UInt8>] = [:]
        var types: [String: StorageType] = [:]
        collectStorageTypes(root, into: &types)
        var cursor = keysReader.position
        for item in keyList.items {
            guard case .string(let key) = item, let type = types[key] else { throw .malformedPickle("a storage key the state dict does not use") }
            guard cursor + 8 <= bytes.count else { throw .missingStorage(key) }
            let count = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[cursor + $1]) << (8 * UInt64($1)) }
            cursor += 8
            let (size, overflow) = Int(clamping: count).multipliedReportingOverflow(by: type.elementSize)
            guard !overflow, size <= bytes.count - cursor else { throw .missingStorage(key) }
            storages[key] = all[cursor..<(cursor + size)]
            cursor += size
        }
        return try stateDict(root, fileSize: bytes.count) { (reference) throws(CheckpointError.Reason) in
            guard let data = storages[reference.key] else { throw .missingStorage(reference.key) }
            return data
        }
    }

    private static func collectStorageTypes(_ value: PickleValue, into types: inout [String: StorageType]) {
        guard case .dictionary(let dictionary) = value else { return }
        for (_, item) in dictionary.items {
            if case .tensor(let tensor) = item { types[tensor.storage.key] = tensor.storage.type }
        }
    }

    // MARK: Tensors

    /// How many Float32 elements the tensors of a checkpoint may hold per byte of the file.
    ///
    /// A stored element takes at least one byte, so ordinary tensors (and views of them) stay far
    /// below; four elements per byte still lets every storage be viewed by a few whole-size
    /// tensors (tied weights). Together with ``broadcastAllowance`` this bounds the memory a
    /// hostile file can make the reader allocate: a 500-byte file whose tensor has zero strides
    /// over one element and asks for 40 GB is refused before anything is allocated.
    public static let elementsPerByte = 4

    /// Elements the tensors may hold beyond ``elementsPerByte`` per file byte (2^20, 4 MiB as
    /// Float32): room for small broadcast buffers (zero strides) in small files.
    public static let broadcastAllowance = 1 << 20

    /// The element budget of a checkpoint of `fileSize` bytes.
    static func elementLimit(fileSize: Int) -> Int {
        Checked.multiply(fileSize, elementsPerByte).flatMap { Checked.add($0, broadcastAllowance) } ?? .max
    }

    private static func stateDict(
        _ root: PickleValue, fileSize: Int, storage: (StorageReference) throws(CheckpointError.Reason) -> ArraySlice<UInt8>
    ) throws(CheckpointError.Reason) -> SafetensorsFile {
        guard case .dictionary(let dictionary) = root else { throw .notAStateDict("the pickled object is a \(root.kind), not a dict") }
        var file = SafetensorsFile(tensors: [])
        var seen = Set<String>()
        let limit = elementLimit(fileSize: fileSize)
        var total = 0
        for (key, value) in dictionary.items {
            guard case .string(let name) = key else { throw .notAStateDict("a key is a \(key.kind), not a string") }
            guard case .tensor(let reference) = value else { throw .notAStateDict("'\(name)' is a \(value.kind), not a tensor") }
            guard seen.insert(name).inserted else { throw .notAStateDict("duplicate name '\(name)'") }
            let type = reference.storage.type
            guard [.float, .double, .half, .bfloat16].contains(type) else {
                guard name.hasSuffix("num_batches_tracked") else { throw .unsupportedTensorType(tensor: name, storage: type.rawValue) }
                file.skippedNames.append(name)
                continue
            }
            // The view is validated (shape, strides, offset, storage extent, element budget)
            // before its storage is touched or any element is allocated.
            let view = try StridedView(reference, name: name)
            guard let sum = Checked.add(total, view.count), sum <= limit else {
                throw .tooManyElements(tensor: name, elementCount: view.count, limit: limit)
            }
            total = sum
            let data = try storage(reference.storage)
            guard let needed = Checked.multiply(reference.storage.elementCount, type.elementSize), data.count >= needed else {
                throw .missingStorage(reference.storage.key)
            }
            guard view.count == 0 || view.lastElement < reference.storage.elementCount else { throw .tensorOutOfBounds(tensor: name) }
            let scalars = view.gather(type: type, from: data)
            do {
                file.tensors.append(NamedParameter(name: name, value: try Tensor(shape: reference.shape, scalars: scalars)))
            } catch {
                throw .notAStateDict("'\(name)': \(error)")
            }
        }
        return file
    }
}

/// A tensor's strided view of its storage, checked: non-negative extents whose product fits,
/// non-negative strides and offset, and the largest element index computed without overflow.
struct StridedView {
    let shape: [Int]
    let strides: [Int]
    let offset: Int
    /// The number of elements.
    let count: Int
    /// The largest storage index touched (meaningless when `count == 0`).
    let lastElement: Int

    init(_ reference: TensorReference, name: String) throws(CheckpointError.Reason) {
        shape = reference.shape
        strides = reference.strides
        offset = reference.offset
        guard shape.count == strides.count, strides.allSatisfy({ $0 >= 0 }), offset >= 0, let count = Checked.elementCount(shape) else {
            throw .tensorOutOfBounds(tensor: name)
        }
        self.count = count
        // offset + Σ (extent − 1) · stride.
        var last = offset
        if count > 0 {
            for (extent, stride) in zip(shape, strides) {
                guard let step = Checked.multiply(extent - 1, stride), let sum = Checked.add(last, step) else { throw .tensorOutOfBounds(tensor: name) }
                last = sum
            }
        }
        lastElement = last
    }

    /// The elements in row-major order, converted to Float32; `data` must hold `lastElement + 1`
    /// elements of `type`.
    func gather(type: StorageType, from data: ArraySlice<UInt8>) -> [Float] {
        guard count > 0 else { return [] }
        var result = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            var index = [Int](repeating: 0, count: shape.count)
            for flat in 0..<count {
                var element = offset
                for axis in 0..<shape.count { element += index[axis] * strides[axis] }
                result[flat] = type.float(raw, at: element) ?? 0
                var axis = shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return result
    }
}
