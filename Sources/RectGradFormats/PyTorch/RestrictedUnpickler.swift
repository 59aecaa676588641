/// The only Python globals a state dict needs; every other global is refused before anything is
/// resolved, so a malicious pickle cannot name `os.system` or `builtins.eval`.
enum AllowedGlobal: Equatable {
    case orderedDict
    case rebuildTensor
    case rebuildParameter
    case storage(StorageType)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard let type = StorageType(rawValue: name) else { return nil }
            self = .storage(type)
        default: return nil
        }
    }
}

/// PyTorch's typed storages.
enum StorageType: String {
    case float = "FloatStorage", double = "DoubleStorage", half = "HalfStorage", bfloat16 = "BFloat16Storage"
    case long = "LongStorage", int = "IntStorage", short = "ShortStorage", char = "CharStorage", byte = "ByteStorage", bool = "BoolStorage"

    var elementSize: Int {
        switch self {
        case .double, .long: return 8
        case .float, .int: return 4
        case .half, .bfloat16, .short: return 2
        case .char, .byte, .bool: return 1
        }
    }

    /// The element as a Float, for the floating-point storages.
    func float(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Float? {
        switch self {
        case .float: return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
        case .double: return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))))
        case .half: return HalfPrecision.float(fromHalf: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
        case .bfloat16: return Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))) << 16)
        default: return nil
        }
    }
}

/// A reference to a storage from a persistent id.
struct StorageReference: Equatable {
    var type: StorageType
    var key: String
    var elementCount: Int
}

/// A tensor rebuilt by `_rebuild_tensor_v2`: a strided view of a storage.
struct TensorReference: Equatable {
    var storage: StorageReference
    var offset: Int
    var shape: [Int]
    var strides: [Int]
}

/// Mutable containers are shared through the memo, so they are reference types.
///
/// A container is *sealed* once it is placed inside another container; a sealed container can no
/// longer change. So values are built bottom-up as Python's pickler writes them: no container can
/// reach itself (no reference cycles, nothing leaks), and the depth recorded when a container is
/// sealed stays true, which bounds the nesting (and the recursion of freeing it).
final class PickleList {
    var items: [PickleValue] = []
    /// 1 + the deepest item's depth.
    var depth = 1
    var isSealed = false
}

/// A dict (or `OrderedDict`) of the pickle, its items in insertion order; see ``PickleList``.
final class PickleDictionary {
    var items: [(key: PickleValue, value: PickleValue)] = []
    /// 1 + the deepest key's or value's depth.
    var depth = 1
    var isSealed = false
}

/// The values the restricted unpickler can build.
enum PickleValue {
    case none
    case bool(Bool)
    case integer(Int)
    /// A little-endian two's-complement integer too large for `Int` (the legacy magic number).
    case bigInteger([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dictionary(PickleDictionary)
    case global(AllowedGlobal)
    case storage(StorageReference)
    case tensor(TensorReference)

    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .integer, .bigInteger: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dictionary: return "dict"
        case .global: return "global"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A pickle virtual machine that executes only the opcodes of protocols 0–5 a state dict uses
/// and resolves only ``AllowedGlobal``s. Nothing is ever imported or called: `REDUCE` on an
/// allowed global builds a plain value.
struct RestrictedUnpickler {
    /// The deepest nesting of containers accepted (a state dict needs about five levels). Deeper
    /// pickles fail with ``CheckpointError/Reason/nestingTooDeep(limit:)`` instead of building
    /// values whose recursive release would overflow the stack.
    static let maximumDepth = 64

    private let bytes: ArraySlice<UInt8>
    private(set) var position: Int
    /// Maps a persistent id (a tuple) to a value, e.g. `('storage', FloatStorage, key, 'cpu', n)`.
    private let persistentLoad: (PickleValue) throws(CheckpointError.Reason) -> PickleValue

    init(bytes: ArraySlice<UInt8>, persistentLoad: @escaping (PickleValue) throws(CheckpointError.Reason) -> PickleValue) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.persistentLoad = persistentLoad
    }

    /// A stack entry: a value with its nesting depth (for lists and dicts the container's own,
    /// current depth counts), or a mark.
    private enum Item { case value(PickleValue, depth: Int), mark }

    private static let sealedMessage = "a list or dict changes after being placed in another container (self-referencing structures are not part of a state dict)"

    private func fail(_ message: String) -> CheckpointError.Reason { .malformedPickle("\(message) at byte \(position)") }

    private mutating func take(_ count: Int) throws(CheckpointError.Reason) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.endIndex - position else { throw fail("unexpected end of the pickle") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private mutating func byte() throws(CheckpointError.Reason) -> UInt8 { try take(1).first ?? 0 }

    private mutating func unsigned(_ count: Int) throws(CheckpointError.Reason) -> UInt64 {
        try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func line() throws(CheckpointError.Reason) -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw fail("unterminated line") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private func text(_ slice: ArraySlice<UInt8>) throws(CheckpointError.Reason) -> String {
        guard let string = String(validating: slice, as: UTF8.self) else { throw fail("invalid UTF-8 string") }
        return string
    }

    /// Runs the machine until `STOP` and returns the top of the stack.
    mutating func load() throws(CheckpointError.Reason) -> PickleValue {
        var stack: [Item] = []
        var memo: [Int: (value: PickleValue, depth: Int)] = [:]

        func push(_ value: PickleValue, depth: Int = 1) { stack.append(.value(value, depth: depth)) }
        func popEntry() throws(CheckpointError.Reason) -> (value: PickleValue, depth: Int) {
            guard case .value(let value, let depth)? = stack.popLast() else { throw fail("stack underflow") }
            return (value, depth)
        }
        func pop() throws(CheckpointError.Reason) -> PickleValue { try popEntry().value }
        func popToMark() throws(CheckpointError.Reason) -> [(value: PickleValue, depth: Int)] {
            var values: [(value: PickleValue, depth: Int)] = []
            while let item = stack.popLast() {
                switch item {
                case .mark: return values.reversed()
                case .value(let value, let depth): values.append((value, depth))
                }
            }
            throw fail("missing mark")
        }
        func topEntry() throws(CheckpointError.Reason) -> (value: PickleValue, depth: Int) {
            guard case .value(let value, let depth)? = stack.last else { throw fail("stack underflow") }
            return (value, depth)
        }
        func top() throws(CheckpointError.Reason) -> PickleValue { try topEntry().value }
        /// Seals the containers among `items` and returns the depth of a container holding them.
        func contain(_ items: [(value: PickleValue, depth: Int)]) throws(CheckpointError.Reason) -> Int {
            var deepest = 0
            for item in items {
                switch item.value {
                case .list(let list): list.isSealed = true; deepest = max(deepest, list.depth)
                case .dictionary(let dictionary): dictionary.isSealed = true; deepest = max(deepest, dictionary.depth)
                default: deepest = max(deepest, item.depth)
                }
            }
            guard deepest < Self.maximumDepth else { throw .nestingTooDeep(limit: Self.maximumDepth) }
            return deepest + 1
        }
        func tuple(_ items: [(value: PickleValue, depth: Int)]) throws(CheckpointError.Reason) {
            let depth = try contain(items)
            push(.tuple(items.map(\.value)), depth: depth)
        }
        func setItems(_ values: [(value: PickleValue, depth: Int)], into target: PickleValue) throws(CheckpointError.Reason) {
            let depth = try contain(values)
            guard case .dictionary(let dictionary) = target, values.count % 2 == 0 else { throw fail("SETITEM(S) on a non-dict") }
            guard !dictionary.isSealed else { throw fail(Self.sealedMessage) }
            for i in stride(from: 0, to: values.count, by: 2) { dictionary.items.append((values[i].value, values[i + 1].value)) }
            dictionary.depth = max(dictionary.depth, depth)
        }
        func appendItems(_ values: [(value: PickleValue, depth: Int)], into target: PickleValue) throws(CheckpointError.Reason) {
            let depth = try contain(values)
            guard case .list(let list) = target else { throw fail("APPEND(S) on a non-list") }
            guard !list.isSealed else { throw fail(Self.sealedMessage) }
            list.items += values.map(\.value)
            list.depth = max(list.depth, depth)
        }
        func memoize(_ index: Int) throws(CheckpointError.Reason) { memo[index] = try topEntry() }
        func recall(_ index: Int) throws(CheckpointError.Reason) {
            guard let entry = memo[index] else { throw fail("memo entry \(index) is undefined") }
            push(entry.value, depth: entry.depth)
        }

        while true {
            let offset = position - bytes.startIndex
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte() // PROTO
            case 0x95: _ = try take(8) // FRAME
            case 0x2E: return try pop() // STOP
            case 0x28: stack.append(.mark) // MARK
            case 0x30: _ = try pop() // POP
            case 0x31: _ = try popToMark() // POP_MARK
            case 0x32: let entry = try topEntry(); push(entry.value, depth: entry.depth) // DUP
            case 0x4E: push(.none) // NONE
            case 0x88: push(.bool(true)) // NEWTRUE
            case 0x89: push(.bool(false)) // NEWFALSE
            case 0x4B: push(.integer(Int(try unsigned(1)))) // BININT1
            case 0x4D: push(.integer(Int(try unsigned(2)))) // BININT2
            case 0x4A: push(.integer(Int(Int32(truncatingIfNeeded: try unsigned(4))))) // BININT
            case 0x8A, 0x8B: // LONG1, LONG4
                let count = Int(try unsigned(opcode == 0x8A ? 1 : 4))
                let digits = Array(try take(count))
                if digits.count <= 8 {
                    var value: UInt64 = 0
                    for (i, digit) in digits.enumerated() { value |= UInt64(digit) << (8 * UInt64(i)) }
                    if let last = digits.last, last & 0x80 != 0, digits.count < 8 { value |= ~0 << (8 * UInt64(digits.count)) }
                    push(.integer(Int(Int64(bitPattern: value))))
                } else {
                    push(.bigInteger(digits))
                }
            case 0x49: // INT (text)
                let text = try line()
                if text == "00" { push(.bool(false)) } else if text == "01" { push(.bool(true)) } else {
                    guard let value = Int(text) else { throw fail("invalid INT") }
                    push(.integer(value))
                }
            case 0x47: push(.float(Double(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) }))) // BINFLOAT (big endian)
            case 0x58: push(.string(try text(take(Int(unsigned(4)))))) // BINUNICODE
            case 0x8C: push(.string(try text(take(Int(unsigned(1)))))) // SHORT_BINUNICODE
            case 0x8D: push(.string(try text(take(Int(clamping: unsigned(8)))))) // BINUNICODE8
            case 0x55: push(.string(String(decoding: try take(Int(unsigned(1))), as: UTF8.self))) // SHORT_BINSTRING
            case 0x54: push(.string(String(decoding: try take(Int(unsigned(4))), as: UTF8.self))) // BINSTRING
            case 0x43: push(.bytes(Array(try take(Int(unsigned(1)))))) // SHORT_BINBYTES
            case 0x42: push(.bytes(Array(try take(Int(unsigned(4)))))) // BINBYTES
            case 0x29: push(.tuple([])) // EMPTY_TUPLE
            case 0x85: try tuple([try popEntry()]) // TUPLE1
            case 0x86: let b = try popEntry(), a = try popEntry(); try tuple([a, b]) // TUPLE2
            case 0x87: let c = try popEntry(), b = try popEntry(), a = try popEntry(); try tuple([a, b, c]) // TUPLE3
            case 0x74: try tuple(try popToMark()) // TUPLE
            case 0x5D: push(.list(PickleList())) // EMPTY_LIST
            case 0x6C: // LIST
                let list = PickleList()
                try appendItems(try popToMark(), into: .list(list))
                push(.list(list))
            case 0x61: let value = try popEntry(); try appendItems([value], into: top()) // APPEND
            case 0x65: let values = try popToMark(); try appendItems(values, into: top()) // APPENDS
            case 0x7D: push(.dictionary(PickleDictionary())) // EMPTY_DICT
            case 0x64: // DICT
                let values = try popToMark()
                let dictionary = PickleValue.dictionary(PickleDictionary())
                try setItems(values, into: dictionary)
                push(dictionary)
            case 0x73: let value = try popEntry(), key = try popEntry(); try setItems([key, value], into: top()) // SETITEM
            case 0x75: let values = try popToMark(); try setItems(values, into: top()) // SETITEMS
            case 0x71: try memoize(Int(try unsigned(1))) // BINPUT
            case 0x72: try memoize(Int(try unsigned(4))) // LONG_BINPUT
            case 0x94: try memoize(memo.count) // MEMOIZE
            case 0x68: try recall(Int(try unsigned(1))) // BINGET
            case 0x6A: try recall(Int(try unsigned(4))) // LONG_BINGET
            case 0x63: // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                guard let global = AllowedGlobal(module: module, name: name) else { throw .forbiddenGlobal("\(module).\(name)") }
                push(.global(global))
            case 0x93: // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else { throw fail("STACK_GLOBAL needs two strings") }
                guard let global = AllowedGlobal(module: module, name: name) else { throw .forbiddenGlobal("\(module).\(name)") }
                push(.global(global))
            case 0x51: push(try persistentLoad(try pop())) // BINPERSID
            case 0x52: // REDUCE
                let arguments = try pop(), callable = try pop()
                push(try reduce(callable, arguments))
            case 0x62: // BUILD: only an OrderedDict's `__dict__` (the `_metadata` of a state dict) is accepted, and ignored.
                let state = try pop()
                guard case .dictionary = try top(), case .dictionary = state else { throw fail("BUILD on something other than an OrderedDict") }
            default:
                throw .unsupportedOpcode(opcode: opcode, offset: offset)
            }
        }
    }

    /// Applies an allowed global to its arguments without calling any Python code.
    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws(CheckpointError.Reason) -> PickleValue {
        guard case .global(let global) = callable, case .tuple(let args) = arguments else { throw fail("REDUCE needs a global and a tuple") }
        switch global {
        case .orderedDict:
            guard args.isEmpty else { throw fail("OrderedDict with arguments") }
            return .dictionary(PickleDictionary())
        case .rebuildTensor:
            // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard args.count >= 6, args.count <= 7, case .storage(let storage) = args[0], case .integer(let offset) = args[1],
                  let shape = integers(args[2]), let strides = integers(args[3]), shape.count == strides.count else {
                throw fail("unexpected arguments to _rebuild_tensor_v2")
            }
            return .tensor(TensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case .rebuildParameter:
            // _rebuild_parameter(data, requires_grad, backward_hooks)
            guard args.count == 3, case .tensor = args[0] else { throw fail("unexpected arguments to _rebuild_parameter") }
            return args[0]
        case .storage:
            throw fail("a storage type cannot be called")
        }
    }

    private func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .integer(let integer) = item else { return nil }
            result.append(integer)
        }
        return result
    }
}
