/// A CSV manifest of images: one image per line, `path` or `path,target`.
///
/// - Paths are relative to the manifest's folder, or absolute. They must not contain `..`
///   components (the outputs mirror the paths inside the output folder).
/// - The target is a class index or a class name of the model; empty means the run's default
///   (the predicted class unless `--target` is given).
/// - An optional header line whose first field is `path` is skipped; so are blank lines and
///   lines starting with `#`. Fields may be double-quoted (`"a,b.png"`, `""` for a quote).
/// - A path listed twice is an error.
///
/// Every error names the manifest line (counting from 1).
public struct DatasetManifest: Sendable, Equatable {
    /// One line of the manifest.
    public struct Entry: Sendable, Equatable {
        /// The path as written (relative to the manifest's folder, or absolute).
        public var path: String
        /// The path's key: normalised, relative, `/`-separated (an absolute path without its leading `/`).
        public var key: String
        /// The target class index, if given.
        public var target: Int?
        /// The manifest line, from 1.
        public var line: Int
    }

    /// The entries in manifest order.
    public var entries: [Entry]

    /// Parses a manifest.
    /// - Parameters:
    ///   - source: the manifest's name for messages.
    ///   - classNames: the model's class names (targets by name); indices must be below their count
    ///     when it is not zero.
    /// - Throws: ``DatasetError/manifestLine(file:line:reason:)``.
    public init(parsing text: String, source: String, classNames: [String]) throws(DatasetError) {
        var entries: [Entry] = []
        var firstLine: [String: Int] = [:]
        var sawContent = false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let number = offset + 1
            func failure(_ reason: String) -> DatasetError { .manifestLine(file: source, line: number, reason: reason) }
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.allSatisfy(\.isWhitespace) || line.hasPrefix("#") { continue }
            let fields: [String]
            do { fields = try Self.fields(of: line) } catch { throw failure(error.reason) }
            if !sawContent {
                sawContent = true
                if fields.first?.trimmingWhitespace().lowercased() == "path" { continue }
            }
            guard fields.count <= 2 else { throw failure("expected 'path' or 'path,target', found \(fields.count) fields") }
            let path = fields[0].trimmingWhitespace()
            guard !path.isEmpty else { throw failure("the path is empty") }
            guard let key = Self.key(of: path) else { throw failure("the path \(path) contains a '..' component; give paths inside the dataset or absolute ones") }
            if let previous = firstLine[key] { throw failure("\(path) is already listed on line \(previous)") }
            firstLine[key] = number
            var target: Int?
            if fields.count == 2 {
                let text = fields[1].trimmingWhitespace()
                if !text.isEmpty {
                    if let index = Int(text) {
                        guard index >= 0, classNames.isEmpty || index < classNames.count else {
                            throw failure("class index \(index) is outside 0…\(classNames.count - 1)")
                        }
                        target = index
                    } else if let index = classNames.firstIndex(where: { $0.lowercased() == text.lowercased() }) {
                        target = index
                    } else {
                        throw failure(classNames.isEmpty ? "'\(text)' is not a class index" : "'\(text)' is neither a class index nor one of the model's \(classNames.count) class names")
                    }
                }
            }
            entries.append(Entry(path: path, key: key, target: target, line: number))
        }
        self.entries = entries
    }

    /// Why a line's fields could not be split.
    struct FieldError: Error { var reason: String }

    /// The comma-separated fields of a line, with double-quoted fields unquoted.
    static func fields(of line: Substring) throws(FieldError) -> [String] {
        var fields: [String] = []
        var current = ""
        var index = line.startIndex
        var quoted = false
        var fieldStarted = false
        while index < line.endIndex {
            let character = line[index]
            if quoted {
                if character == "\"" {
                    let next = line.index(after: index)
                    if next < line.endIndex, line[next] == "\"" {
                        current.append("\"")
                        index = next
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "," {
                fields.append(current)
                current = ""
                fieldStarted = false
            } else if character == "\"" && !fieldStarted && current.allSatisfy(\.isWhitespace) {
                quoted = true
                current = ""
                fieldStarted = true
            } else {
                current.append(character)
                if !character.isWhitespace { fieldStarted = true }
            }
            index = line.index(after: index)
        }
        guard !quoted else { throw FieldError(reason: "a quoted field is not closed") }
        fields.append(current)
        return fields
    }

    /// The key of a manifest path: `./a//b.png` → `a/b.png`, `/data/x.png` → `data/x.png`;
    /// `nil` for a path with a `..` component or none left.
    static func key(of path: String) -> String? {
        let components = path.split(separator: "/").filter { $0 != "." }
        guard !components.isEmpty, !components.contains("..") else { return nil }
        return components.joined(separator: "/")
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
