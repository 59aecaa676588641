/// "Did you mean …?" for mistyped names (models, methods, class names): the candidates within a
/// small edit distance, and those that contain the typed text.
public enum Spelling {
    /// The Levenshtein distance between `a` and `b` (insertions, deletions and substitutions of
    /// one character each cost 1), ignoring case.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased()), y = Array(b.lowercased())
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = Swift.min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The candidates closest to `name`, closest first (ties in the candidates' order), at most
    /// `limit`: those within an edit distance of a third of the longer name (at least 1; 2 from
    /// 6 characters on), then those containing `name` (or contained in it), ignoring case.
    public static func closeMatches(to name: String, in candidates: [String], limit: Int = 3) -> [String] {
        let typed = name.lowercased()
        guard !typed.isEmpty, limit > 0 else { return [] }
        var scored: [(candidate: String, score: Int, order: Int)] = []
        for (order, candidate) in candidates.enumerated() {
            let lowered = candidate.lowercased()
            let distance = editDistance(typed, lowered)
            let allowed = Swift.max(1, Swift.max(typed.count, lowered.count) / 3)
            if distance <= allowed {
                scored.append((candidate, distance, order))
            } else if typed.count >= 3 && (lowered.contains(typed) || typed.contains(lowered)) {
                scored.append((candidate, allowed + 1 + abs(lowered.count - typed.count), order))
            }
        }
        scored.sort { ($0.score, $0.order) < ($1.score, $1.order) }
        var seen = Set<String>()
        return scored.map(\.candidate).filter { seen.insert($0).inserted }.prefix(limit).map { $0 }
    }

    /// `"; did you mean 'vgg16' or 'vgg19'?"` for the ``closeMatches(to:in:limit:)`` of `name`, or
    /// the empty string when none is close.
    public static func didYouMean(_ name: String, in candidates: [String], limit: Int = 3) -> String {
        let matches = closeMatches(to: name, in: candidates, limit: limit).map { "'\($0)'" }
        guard let last = matches.last else { return "" }
        let list = matches.count == 1 ? last : matches.dropLast().joined(separator: ", ") + " or " + last
        return "; did you mean \(list)?"
    }
}
