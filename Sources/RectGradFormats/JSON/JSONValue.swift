/// A minimal, strict JSON parser for safetensors headers: duplicate keys, trailing garbage,
/// nesting deeper than 32 levels, more than ``maximumValueCount`` values and malformed escapes
/// are errors; integers are kept exact.
enum JSONValue: Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// An integer literal that fits in `Int`.
    case integer(Int)
    /// Any other number (fraction, exponent or out of `Int` range).
    case number(Double)
    case bool(Bool)
    case null

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// The most values (objects, arrays, strings, numbers, literals — every one counts) one text
    /// may hold: 2,000,000, room for ``SafetensorsFile/maximumEntryCount`` tensor entries of about
    /// ten values each twice over. It bounds the memory and time a text can cost within the
    /// header size limit, wherever the values are (a `__metadata__` map, a long shape array).
    static let maximumValueCount = 2_000_000

    /// Parses UTF-8 JSON text; `reason` in the error describes the first problem.
    static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }
}

/// Why a JSON text was refused.
struct JSONParseError: Error {
    var reason: String
}

fileprivate struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    /// Values that may still be parsed (see ``JSONValue/maximumValueCount``).
    var remainingValues = JSONValue.maximumValueCount

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> JSONParseError { JSONParseError(reason: "\(message) at byte \(position)") }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipSpace() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 }
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < 32 else { throw error("nesting is too deep") }
        guard remainingValues > 0 else { throw error("more than \(JSONValue.maximumValueCount) values") }
        remainingValues -= 1
        skipSpace()
        guard let c = current else { throw error("unexpected end of JSON") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    mutating func literal(_ word: String) throws(JSONParseError) {
        let expected = Array(word.utf8)
        guard position + expected.count <= bytes.count, Array(bytes[position..<(position + expected.count)]) == expected else {
            throw error("invalid literal")
        }
        position += expected.count
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var keys = Set<String>()
        skipSpace()
        if current == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            guard keys.insert(key).inserted else { throw error("duplicate key '\(key)'") }
            skipSpace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            guard current == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
            position += 1
            return .object(members)
        }
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipSpace()
        if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
        while true {
            elements.append(try value(depth: depth + 1))
            skipSpace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            guard current == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
            position += 1
            return .array(elements)
        }
    }

    mutating func hexQuad() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let c = current, let digit = hexDigit(c) else { throw error("invalid \\u escape") }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    func hexDigit(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    mutating func string() throws(JSONParseError) -> String {
        position += 1
        var utf8: [UInt8] = []
        while true {
            guard let c = current else { throw error("unterminated string") }
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = current else { throw error("unterminated escape") }
                position += 1
                var scalar: UInt32
                switch escape {
                case UInt8(ascii: "\""): scalar = 0x22
                case UInt8(ascii: "\\"): scalar = 0x5C
                case UInt8(ascii: "/"): scalar = 0x2F
                case UInt8(ascii: "b"): scalar = 0x08
                case UInt8(ascii: "f"): scalar = 0x0C
                case UInt8(ascii: "n"): scalar = 0x0A
                case UInt8(ascii: "r"): scalar = 0x0D
                case UInt8(ascii: "t"): scalar = 0x09
                case UInt8(ascii: "u"):
                    scalar = try hexQuad()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate")
                        }
                        position += 2
                        let low = try hexQuad()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("unpaired surrogate")
                    }
                default:
                    throw error("invalid escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid code point") }
                utf8 += Array(String(Character(unicode)).utf8)
            default:
                guard c >= 0x20 else { throw error("control character in string") }
                utf8.append(c)
            }
        }
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        func digits() -> Int {
            let begin = position
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { position += 1 }
            return position - begin
        }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw error("invalid value") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw error("leading zero in number") }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            position += 1
            isInteger = false
            guard digits() > 0 else { throw error("invalid fraction") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            isInteger = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error("invalid exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let value = Int(text) { return .integer(value) }
        guard let value = Double(text) else { throw error("invalid number") }
        return .number(value)
    }
}

/// Reads the members of a top-level JSON object one at a time, so that a reader can count and
/// check them as they arrive and stop at the first one it refuses, instead of holding a tree of
/// the whole text first. The same strictness as ``JSONValue/parse(_:)``: duplicate keys, trailing
/// text and nesting deeper than 32 levels are errors.
struct JSONObjectReader {
    private var parser: JSONParser
    private var keys = Set<String>()
    private var finished = false

    /// Starts reading `bytes`, which must hold one JSON object.
    init(bytes: [UInt8]) throws(JSONParseError) {
        parser = JSONParser(bytes: bytes)
        parser.skipSpace()
        guard parser.current == UInt8(ascii: "{") else { throw parser.error("expected an object") }
        parser.position += 1
        parser.skipSpace()
        if parser.current == UInt8(ascii: "}") {
            parser.position += 1
            try finish()
        }
    }

    /// The next member, or `nil` after the closing brace (and nothing but white space after it).
    mutating func next() throws(JSONParseError) -> (key: String, value: JSONValue)? {
        guard !finished else { return nil }
        parser.skipSpace()
        guard parser.current == UInt8(ascii: "\"") else { throw parser.error("expected a string key") }
        let key = try parser.string()
        guard keys.insert(key).inserted else { throw parser.error("duplicate key '\(key)'") }
        parser.skipSpace()
        guard parser.current == UInt8(ascii: ":") else { throw parser.error("expected ':'") }
        parser.position += 1
        let value = try parser.value(depth: 1)
        parser.skipSpace()
        if parser.current == UInt8(ascii: ",") {
            parser.position += 1
        } else {
            guard parser.current == UInt8(ascii: "}") else { throw parser.error("expected ',' or '}'") }
            parser.position += 1
            try finish()
        }
        return (key, value)
    }

    private mutating func finish() throws(JSONParseError) {
        parser.skipSpace()
        guard parser.position == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
        finished = true
    }
}
