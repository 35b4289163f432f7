/// Pull-style reading: a decoder steps through objects and arrays member by member, reads the
/// values it wants and skips the others. Skipped values are still checked against the grammar,
/// so a document the scanner accepts is one ``JSONParser`` accepts.
extension JSONScanner {
  /// Where the caller stands inside one object or array it entered.
  public struct Container: Sendable {
    /// Whether a member or element has been read, so a separator comes next.
    var started = false

    /// A container a scanner enters between two of its elements or members, the first of them
    /// already read elsewhere: a separator or the container's end comes next.
    public static let afterAnElement = Container(started: true)
  }

  /// The kind of the next value.
  public enum Kind: Sendable {
    case object, array, string, number, bool, null
  }

  /// The kind of the value at the cursor (after white space), or `nil` at the end of input or
  /// before a byte no value starts with.
  public mutating func peekKind() -> Kind? {
    skipWhitespace()
    guard index < buffer.count else { return nil }
    switch buffer[index] {
    case ASCII.openBrace: return .object
    case ASCII.openBracket: return .array
    case ASCII.quote: return .string
    case ASCII.minus, ASCII.zero...ASCII.nine: return .number
    case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
    case UInt8(ascii: "n"): return .null
    default: return nil
    }
  }

  /// Reads the next value whole.
  public mutating func readValue() throws(JSONParseError) -> JSONValue {
    skipWhitespace()
    return try readValue(depth: nesting)
  }

  /// Reads the next value if it is a string.
  public mutating func readStringValue() throws(JSONParseError) -> String {
    skipWhitespace()
    guard index < buffer.count, buffer[index] == ASCII.quote else { throw error("expected a string") }
    return try readString()
  }

  /// Skips the next value, checking it against the grammar unless the buffer is already
  /// checked.
  public mutating func skipValue() throws(JSONParseError) {
    skipWhitespace()
    if checked {
      skipCheckedValue()
    } else {
      try skipValue(depth: nesting)
    }
  }

  /// Finds the end of the value at the cursor in a checked buffer: strings by their closing
  /// quote, objects and arrays by counting brackets outside strings, scalars by the next
  /// separator.
  private mutating func skipCheckedValue() {
    guard index < buffer.count else { return }
    switch buffer[index] {
    case ASCII.quote:
      skipCheckedString()
    case ASCII.openBrace, ASCII.openBracket:
      var depth = 0
      while index < buffer.count {
        switch buffer[index] {
        case ASCII.quote:
          skipCheckedString()
          continue
        case ASCII.openBrace, ASCII.openBracket:
          depth += 1
        case ASCII.closeBrace, ASCII.closeBracket:
          depth -= 1
          if depth == 0 {
            index += 1
            return
          }
        default: break
        }
        index += 1
      }
    default:
      while index < buffer.count {
        switch buffer[index] {
        case ASCII.comma, ASCII.closeBrace, ASCII.closeBracket, 0x20, 0x09, 0x0A, 0x0D: return
        default: index += 1
        }
      }
    }
  }

  /// Moves past the string starting at the cursor (its opening quote) in a checked buffer.
  private mutating func skipCheckedString() {
    index = plainRunEnd(from: index + 1)
    while index < buffer.count {
      switch buffer[index] {
      case ASCII.quote:
        index += 1
        return
      case ASCII.backslash: index += 2
      default: index += 1
      }
    }
  }

  /// Enters one more level, as the full parser counts levels.
  private mutating func enter() throws(JSONParseError) {
    guard nesting < JSONParser.maximumDepth else { throw error("nesting deeper than \(JSONParser.maximumDepth)") }
    nesting += 1
    index += 1
  }

  /// Consumes the `{` of an object; then call ``nextMember(in:)`` until it returns `nil`.
  public mutating func enterObject() throws(JSONParseError) -> Container {
    skipWhitespace()
    guard index < buffer.count, buffer[index] == ASCII.openBrace else { throw error("expected an object") }
    try enter()
    return Container()
  }

  /// The next member's name (the cursor then stands at its value), or `nil` after the closing
  /// `}` has been consumed. Call it again only after reading or skipping the value.
  public mutating func nextMember(in container: inout Container) throws(JSONParseError) -> String? {
    guard try beginMember(in: &container) else { return nil }
    let key = try readString()
    skipWhitespace()
    guard index < buffer.count, buffer[index] == ASCII.colon else { throw error("expected ':' after a member name") }
    index += 1
    container.started = true
    return key
  }

  /// Like ``nextMember(in:)``, but names the member by its position in `names` (or `-1` for a
  /// name not among them) without building a string: the decoder's switch over known names.
  /// A name written with escapes is decoded first, so `"\u0069d"` still matches `"id"`.
  public mutating func nextMember(in container: inout Container, among names: [StaticString]) throws(JSONParseError)
    -> Int?
  {
    guard try beginMember(in: &container) else { return nil }
    let start = index + 1
    // A plain ASCII name (the usual case) is compared as bytes where it lies.
    let end = plainRunEnd(from: start)
    var found = -1
    if end < buffer.count, buffer[end] == ASCII.quote, let base = buffer.baseAddress {
      let count = end - start
      for position in names.indices where names[position].utf8CodeUnitCount == count {
        let name = names[position]
        var offset = 0
        if name.hasPointerRepresentation {
          let candidate = name.utf8Start
          while offset < count, candidate[offset] == base[start + offset] { offset += 1 }
        } else {
          offset = name.withUTF8Buffer { name in
            var offset = 0
            while offset < count, name[offset] == base[start + offset] { offset += 1 }
            return offset
          }
        }
        if offset == count {
          found = position
          break
        }
      }
      index = end + 1
    } else {
      let key = try readString()
      found = names.firstIndex { $0.description == key } ?? -1
    }
    skipWhitespace()
    guard index < buffer.count, buffer[index] == ASCII.colon else { throw error("expected ':' after a member name") }
    index += 1
    container.started = true
    return found
  }

  /// Moves to the next member's name (its opening quote); `false` after the closing `}` has been
  /// consumed.
  private mutating func beginMember(in container: inout Container) throws(JSONParseError) -> Bool {
    skipWhitespace()
    guard index < buffer.count else { throw error("unterminated object") }
    if container.started {
      switch buffer[index] {
      case ASCII.comma:
        index += 1
        skipWhitespace()
      case ASCII.closeBrace:
        index += 1
        nesting -= 1
        return false
      default: throw error("expected ',' or '}' in an object")
      }
    } else if buffer[index] == ASCII.closeBrace {
      index += 1
      nesting -= 1
      return false
    }
    guard index < buffer.count, buffer[index] == ASCII.quote else { throw error("expected a member name in quotes") }
    return true
  }

  /// Consumes the `[` of an array; then call ``nextElement(in:)`` before each element.
  public mutating func enterArray() throws(JSONParseError) -> Container {
    skipWhitespace()
    guard index < buffer.count, buffer[index] == ASCII.openBracket else { throw error("expected an array") }
    try enter()
    return Container()
  }

  /// Whether another element follows (the cursor then stands at it); `false` after the closing
  /// `]` has been consumed.
  public mutating func nextElement(in container: inout Container) throws(JSONParseError) -> Bool {
    skipWhitespace()
    guard index < buffer.count else { throw error("unterminated array") }
    if container.started {
      switch buffer[index] {
      case ASCII.comma:
        index += 1
        skipWhitespace()
        return true
      case ASCII.closeBracket:
        index += 1
        nesting -= 1
        return false
      default: throw error("expected ',' or ']' in an array")
      }
    }
    if buffer[index] == ASCII.closeBracket {
      index += 1
      nesting -= 1
      return false
    }
    container.started = true
    return true
  }

  /// Checks that nothing but white space follows.
  public mutating func expectEnd() throws(JSONParseError) {
    skipWhitespace()
    if index < buffer.count { throw error("unexpected data after the JSON value") }
  }

  mutating func skipValue(depth: Int) throws(JSONParseError) {
    guard index < buffer.count else { throw error("unexpected end of input") }
    switch buffer[index] {
    case ASCII.quote: try skipString()
    case ASCII.openBrace, ASCII.openBracket:
      guard depth < JSONParser.maximumDepth else { throw error("nesting deeper than \(JSONParser.maximumDepth)") }
      let closing = buffer[index] == ASCII.openBrace ? ASCII.closeBrace : ASCII.closeBracket
      let isObject = closing == ASCII.closeBrace
      index += 1
      skipWhitespace()
      if index < buffer.count, buffer[index] == closing {
        index += 1
        return
      }
      while true {
        skipWhitespace()
        if isObject {
          guard index < buffer.count, buffer[index] == ASCII.quote else { throw error("expected a member name in quotes") }
          try skipString()
          skipWhitespace()
          guard index < buffer.count, buffer[index] == ASCII.colon else {
            throw error("expected ':' after a member name")
          }
          index += 1
          skipWhitespace()
        }
        try skipValue(depth: depth + 1)
        skipWhitespace()
        guard index < buffer.count else { throw error(isObject ? "unterminated object" : "unterminated array") }
        if buffer[index] == ASCII.comma {
          index += 1
        } else if buffer[index] == closing {
          index += 1
          return
        } else {
          throw error(isObject ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array")
        }
      }
    default:
      _ = try readValue(depth: depth)
    }
  }

  /// Skips a string, checking escapes, control characters and (when it has any non-ASCII
  /// byte) UTF-8, without building it.
  mutating func skipString() throws(JSONParseError) {
    let start = index
    index = plainRunEnd(from: index + 1)
    var isASCII = true
    while index < buffer.count {
      let byte = buffer[index]
      switch byte {
      case ASCII.quote:
        index += 1
        if !isASCII {
          index = start
          _ = try readString()
        }
        return
      case ASCII.backslash:
        // Escapes are rare in what is skipped: let the full reader check this one.
        index = start
        _ = try readString()
        return
      case 0..<0x20:
        throw error("unescaped control character in a string")
      default:
        if byte >= 0x80 { isASCII = false }
        index += 1
      }
    }
    throw error("unterminated string", at: start)
  }

  /// Where the run of plain string bytes from `start` ends: the first quote, backslash,
  /// control character or non-ASCII byte (or the end of the buffer). Eight bytes at a time.
  func plainRunEnd(from start: Int) -> Int {
    guard let base = buffer.baseAddress else { return start }
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    var position = start
    while position + 8 <= buffer.count {
      let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
      // A byte of `x` is zero exactly when the matching high bit of (x - 1) & ~x is set
      // (for bytes below 0x80, which `highs & word` rules out first).
      let quote = word ^ (ones &* 0x22)
      let backslash = word ^ (ones &* 0x5C)
      let special =
        ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word | word) & highs
      // Borrows only run upwards from a flagged byte, so the lowest flag is exact: the first
      // special byte (the lowest address, read as the low byte).
      if special != 0 { return position + special.trailingZeroBitCount >> 3 }
      position += 8
    }
    while position < buffer.count {
      let byte = buffer[position]
      if byte == ASCII.quote || byte == ASCII.backslash || byte < 0x20 || byte >= 0x80 { return position }
      position += 1
    }
    return position
  }
}
