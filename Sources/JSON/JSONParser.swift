/// Why a byte sequence is not a JSON document, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong, in one phrase ("unterminated string").
  public var reason: String
  /// The byte offset at which the problem was found.
  public var offset: Int

  /// A parse error at a byte offset.
  public init(reason: String, offset: Int) {
    self.reason = reason
    self.offset = offset
  }

  public var description: String { "\(reason) at byte \(offset)" }
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes.
///
/// It rejects what the grammar rejects (trailing commas, leading zeros, raw control characters in
/// strings, lone surrogates, invalid UTF-8) and limits nesting to ``maximumDepth`` so hostile input
/// cannot exhaust the stack.
public enum JSONParser {
  /// The deepest nesting of arrays and objects accepted.
  public static let maximumDepth = 512

  /// Parses one complete JSON document; whitespace may surround it, nothing else.
  public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
    try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in try parse(buffer) }
  }

  /// Parses one complete JSON document from a buffer.
  public static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
    var reader = JSONScanner(buffer)
    reader.skipWhitespace()
    let value = try reader.readValue(depth: 0)
    reader.skipWhitespace()
    if reader.index < buffer.count {
      throw JSONParseError(reason: "unexpected data after the JSON value", offset: reader.index)
    }
    return value
  }

  /// Parses a JSON document given as text.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    try parse(Array(text.utf8))
  }
}

enum ASCII {
  static let quote = UInt8(ascii: "\"")
  static let backslash = UInt8(ascii: "\\")
  static let comma = UInt8(ascii: ",")
  static let colon = UInt8(ascii: ":")
  static let openBrace = UInt8(ascii: "{")
  static let closeBrace = UInt8(ascii: "}")
  static let openBracket = UInt8(ascii: "[")
  static let closeBracket = UInt8(ascii: "]")
  static let minus = UInt8(ascii: "-")
  static let plus = UInt8(ascii: "+")
  static let dot = UInt8(ascii: ".")
  static let zero = UInt8(ascii: "0")
  static let nine = UInt8(ascii: "9")
}

/// The parser's cursor over a buffer. ``JSONParser`` reads whole documents with it; the pull
/// methods in `JSONScanner+Pull.swift` let a decoder walk a document and build only what it
/// needs (a flow's nodes straight into the flow model, say), skipping the rest.
public struct JSONScanner {
  let buffer: UnsafeBufferPointer<UInt8>
  /// The byte offset of the next unread byte.
  public internal(set) var index = 0
  var scratch: [UInt8] = []
  var members: [(String, JSONValue)] = []
  /// How many objects and arrays the pull methods have entered and not left: values read or
  /// skipped inside them count those levels against ``JSONParser/maximumDepth``.
  var nesting = 0
  /// How many objects and arrays enclose the cursor.
  public var depth: Int { nesting }
  /// The bytes from the cursor to the end of the buffer: an upper bound on what the value at
  /// the cursor spans.
  public var remainingByteCount: Int { buffer.count - index }
  /// Whether the buffer is known to hold grammatical JSON (it passed the parser or a skipping
  /// check before): skipping a value then only looks for its end.
  let checked: Bool

  /// A scanner over `buffer`, which must outlive it, at offset `start`; `checked` when the
  /// bytes have already been checked against the grammar (as a ``RawJSON`` value's usually
  /// have); `depth` counts levels already entered around `start`.
  public init(_ buffer: UnsafeBufferPointer<UInt8>, checked: Bool = false, depth: Int = 0, at start: Int = 0) {
    self.buffer = buffer
    self.checked = checked
    self.nesting = depth
    self.index = start
  }

  func error(_ reason: String, at offset: Int? = nil) -> JSONParseError {
    JSONParseError(reason: reason, offset: offset ?? index)
  }

  @inline(__always)
  mutating func skipWhitespace() {
    // Compact JSON has none: one comparison decides.
    guard index < buffer.count, buffer[index] <= 0x20 else { return }
    while index < buffer.count {
      switch buffer[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
    guard index < buffer.count else { throw error("unexpected end of input") }
    switch buffer[index] {
    case ASCII.quote: return .string(try readString())
    case ASCII.openBrace: return try readObject(depth: depth + 1)
    case ASCII.openBracket: return try readArray(depth: depth + 1)
    case ASCII.minus, ASCII.zero...ASCII.nine: return try readNumber()
    case UInt8(ascii: "t"):
      try expectLiteral("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expectLiteral("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectLiteral("null")
      return .null
    default: throw error("unexpected character '\(Self.printable(buffer[index]))'")
    }
  }

  static func printable(_ byte: UInt8) -> String {
    (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
  }

  mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
    let start = index
    let count = literal.utf8CodeUnitCount
    guard buffer.count - index >= count else { throw error("invalid literal", at: start) }
    let matches = literal.withUTF8Buffer { expected in
      (0..<count).allSatisfy { buffer[start + $0] == expected[$0] }
    }
    guard matches else { throw error("invalid literal", at: start) }
    index += count
  }

  mutating func readObject(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth <= JSONParser.maximumDepth else { throw error("nesting deeper than \(JSONParser.maximumDepth)") }
    index += 1
    skipWhitespace()
    if index < buffer.count, buffer[index] == ASCII.closeBrace {
      index += 1
      return .object(JSONObject())
    }
    // Members collect on a stack shared by all objects being parsed, and each object is made
    // once, at its exact size, when it closes.
    let base = members.count
    defer { members.removeSubrange(base...) }
    while true {
      skipWhitespace()
      guard index < buffer.count else { throw error("unterminated object") }
      guard buffer[index] == ASCII.quote else { throw error("expected a member name in quotes") }
      let key = try readString()
      skipWhitespace()
      guard index < buffer.count, buffer[index] == ASCII.colon else { throw error("expected ':' after a member name") }
      index += 1
      skipWhitespace()
      let value = try readValue(depth: depth)
      members.append((key, value))
      skipWhitespace()
      guard index < buffer.count else { throw error("unterminated object") }
      switch buffer[index] {
      case ASCII.comma: index += 1
      case ASCII.closeBrace:
        index += 1
        return .object(JSONObject(parsedMembers: members[base...]))
      default: throw error("expected ',' or '}' in an object")
      }
    }
  }

  mutating func readArray(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth <= JSONParser.maximumDepth else { throw error("nesting deeper than \(JSONParser.maximumDepth)") }
    index += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if index < buffer.count, buffer[index] == ASCII.closeBracket {
      index += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try readValue(depth: depth))
      skipWhitespace()
      guard index < buffer.count else { throw error("unterminated array") }
      switch buffer[index] {
      case ASCII.comma: index += 1
      case ASCII.closeBracket:
        index += 1
        return .array(elements)
      default: throw error("expected ',' or ']' in an array")
      }
    }
  }

  mutating func readNumber() throws(JSONParseError) -> JSONValue {
    let start = index
    var isInteger = true
    if buffer[index] == ASCII.minus { index += 1 }
    guard index < buffer.count, (ASCII.zero...ASCII.nine).contains(buffer[index]) else {
      throw error("expected a digit", at: index)
    }
    if buffer[index] == ASCII.zero {
      index += 1
      if index < buffer.count, (ASCII.zero...ASCII.nine).contains(buffer[index]) {
        throw error("leading zeros are not allowed", at: start)
      }
    } else {
      skipDigits()
    }
    if index < buffer.count, buffer[index] == ASCII.dot {
      isInteger = false
      index += 1
      guard skipDigits() > 0 else { throw error("expected a digit after '.'") }
    }
    if index < buffer.count, buffer[index] | 0x20 == UInt8(ascii: "e") {
      isInteger = false
      index += 1
      if index < buffer.count, buffer[index] == ASCII.plus || buffer[index] == ASCII.minus { index += 1 }
      guard skipDigits() > 0 else { throw error("expected a digit in the exponent") }
    }
    let text = UnsafeBufferPointer(rebasing: buffer[start..<index])
    if isInteger, let integer = Self.integer(text) { return .int(integer) }
    guard let double = Double(String(decoding: text, as: UTF8.self)), double.isFinite else {
      throw error("number out of range", at: start)
    }
    return .double(double)
  }

  @discardableResult
  mutating func skipDigits() -> Int {
    let start = index
    while index < buffer.count, (ASCII.zero...ASCII.nine).contains(buffer[index]) { index += 1 }
    return index - start
  }

  static func integer(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
    var digits = text[...]
    let negative = digits.first == ASCII.minus
    if negative { digits = digits.dropFirst() }
    var value = 0
    for byte in digits {
      let digit = Int(byte &- ASCII.zero)
      let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
      if overflow1 || overflow2 { return nil }
      value = next
    }
    return value
  }

  /// Reads a string starting at its opening quote.
  mutating func readString() throws(JSONParseError) -> String {
    let start = index
    index += 1
    let contentStart = index
    // Fast path: no escapes.
    var isASCII = true
    index = plainRunEnd(from: index)
    while index < buffer.count {
      let byte = buffer[index]
      if byte == ASCII.quote {
        let text = UnsafeBufferPointer(rebasing: buffer[contentStart..<index])
        index += 1
        if isASCII { return String(decoding: text, as: UTF8.self) }
        guard let string = String(validating: text, as: UTF8.self) else {
          throw error("invalid UTF-8 in a string", at: start)
        }
        return string
      }
      if byte >= 0x80 { isASCII = false }
      if byte == ASCII.backslash { break }
      if byte < 0x20 { throw error("unescaped control character in a string") }
      index += 1
    }
    guard index < buffer.count else { throw error("unterminated string", at: start) }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[contentStart..<index]))
    while index < buffer.count {
      let byte = buffer[index]
      switch byte {
      case ASCII.quote:
        index += 1
        guard let string = String(validating: scratch, as: UTF8.self) else {
          throw error("invalid UTF-8 in a string", at: start)
        }
        return string
      case ASCII.backslash:
        index += 1
        try readEscape()
      case 0..<0x20:
        throw error("unescaped control character in a string")
      default:
        scratch.append(byte)
        index += 1
      }
    }
    throw error("unterminated string", at: start)
  }

  mutating func readEscape() throws(JSONParseError) {
    guard index < buffer.count else { throw error("unterminated escape") }
    let byte = buffer[index]
    index += 1
    switch byte {
    case ASCII.quote: scratch.append(ASCII.quote)
    case ASCII.backslash: scratch.append(ASCII.backslash)
    case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
    case UInt8(ascii: "b"): scratch.append(0x08)
    case UInt8(ascii: "f"): scratch.append(0x0C)
    case UInt8(ascii: "n"): scratch.append(0x0A)
    case UInt8(ascii: "r"): scratch.append(0x0D)
    case UInt8(ascii: "t"): scratch.append(0x09)
    case UInt8(ascii: "u"):
      let first = try readHex4()
      var scalarValue = UInt32(first)
      if (0xD800..<0xDC00).contains(first) {
        guard buffer.count - index >= 6, buffer[index] == ASCII.backslash, buffer[index + 1] == UInt8(ascii: "u") else {
          throw error("lone high surrogate in \\u escape")
        }
        index += 2
        let second = try readHex4()
        guard (0xDC00..<0xE000).contains(second) else { throw error("invalid low surrogate in \\u escape") }
        scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
      } else if (0xDC00..<0xE000).contains(first) {
        throw error("lone low surrogate in \\u escape")
      }
      guard let scalar = Unicode.Scalar(scalarValue) else { throw error("invalid \\u escape") }
      scratch.append(contentsOf: String(Character(scalar)).utf8)
    default:
      throw error("invalid escape '\\\(Self.printable(byte))'", at: index - 1)
    }
  }

  mutating func readHex4() throws(JSONParseError) -> UInt16 {
    guard buffer.count - index >= 4 else { throw error("truncated \\u escape") }
    var value: UInt16 = 0
    for _ in 0..<4 {
      let byte = buffer[index]
      let digit: UInt8
      switch byte {
      case ASCII.zero...ASCII.nine: digit = byte - ASCII.zero
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw error("invalid hex digit in \\u escape")
      }
      value = value << 4 | UInt16(digit)
      index += 1
    }
    return value
  }
}
