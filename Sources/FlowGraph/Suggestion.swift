/// "Did you mean …?" for names a person typed: the closest known name by edit distance.
public enum Suggestion {
  /// The known name closest to `name`, when it is close enough to be a likely typo: a
  /// case-insensitive match, or at most a third of the name's length (at least 1, at most 3)
  /// edits away. Ties go to the earlier name in `candidates`.
  public static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
    let lowered = Array(name.lowercased().unicodeScalars)
    guard !lowered.isEmpty else { return nil }
    let allowed = min(3, max(1, lowered.count / 3))
    var best: (name: String, distance: Int)?
    for candidate in candidates {
      let distance = editDistance(lowered, Array(candidate.lowercased().unicodeScalars), limit: allowed)
      if distance <= allowed, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    return best?.name
  }

  /// The sentence tail "; did you mean 'x'?", or "" when nothing is close.
  public static func phrase(for name: String, in candidates: some Sequence<String>) -> String {
    closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
  }

  /// The end of a sentence about an unknown name: "; did you mean 'x'?" or ".".
  public static func ending(for name: String, in candidates: some Sequence<String>) -> String {
    closest(to: name, in: candidates).map { "; did you mean '\($0)'?" } ?? "."
  }

  /// Levenshtein distance with transpositions counted as one edit, giving up (returning a value
  /// over `limit`) once every path is longer than `limit`.
  static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
    if abs(a.count - b.count) > limit { return limit + 1 }
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previousPrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      var rowBest = current[0]
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          value = min(value, previousPrevious[j - 2] + 1)
        }
        current[j] = value
        rowBest = min(rowBest, value)
      }
      if rowBest > limit { return limit + 1 }
      (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[b.count]
  }
}
