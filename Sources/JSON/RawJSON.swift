/// A JSON value kept as the bytes it arrived in, so a decoder can build its own model straight
/// from them, or parse them on demand. The bytes are normally already checked against the
/// grammar; a transport may leave a large value for its decoder to check while reading it
/// (``isChecked`` is then `false`).
public struct RawJSON: Sendable {
  /// The buffer the value lies in (shared, not copied).
  public let bytes: [UInt8]
  /// Where the value lies in ``bytes``.
  public let range: Range<Int>
  /// An object's members in the order they appear, each with where its value lies in
  /// ``bytes``, when the reader noted them while passing over the object (`nil` otherwise): a
  /// decoder can then read large members side by side.
  public let members: [Member]?
  /// Whether the bytes are known to be grammatical JSON. When they are not, a scanner from
  /// ``withScanner(_:)`` checks what it reads and skips, and ``check()`` checks the whole value.
  public let isChecked: Bool
  /// How many objects and arrays enclose the value in its document (1 for a message's
  /// `params`): nesting is counted from there, as the parser of the whole document counts it.
  public let depth: Int

  /// One member of an object value: its name (escapes decoded) and its value's bytes.
  public struct Member: Sendable, Equatable {
    /// The member's name.
    public let name: String
    /// Where its value lies in the object's ``RawJSON/bytes``.
    public let range: Range<Int>
  }

  /// A value at `range` of `bytes`, with its members when they were noted.
  public init(bytes: [UInt8], range: Range<Int>, members: [Member]? = nil, isChecked: Bool = true, depth: Int = 0) {
    self.bytes = bytes
    self.range = range
    self.members = members
    self.isChecked = isChecked
    self.depth = depth
  }

  /// The value of one of ``members``, as raw JSON in the same buffer, one level deeper.
  public func value(of member: Member) -> RawJSON {
    RawJSON(bytes: bytes, range: member.range, isChecked: isChecked, depth: depth + 1)
  }

  /// A value given as a tree, serialized.
  public init(_ value: JSONValue) {
    let bytes = JSONSerializer.serialize(value)
    self.init(bytes: bytes, range: 0..<bytes.count)
  }

  /// The value's kind, from its first byte.
  public var kind: JSONScanner.Kind? {
    bytes.withUnsafeBufferPointer { buffer in
      var scanner = JSONScanner(UnsafeBufferPointer(rebasing: buffer[range]))
      return scanner.peekKind()
    }
  }

  /// The value as a tree.
  public func parsed() throws(JSONParseError) -> JSONValue {
    try withScanner { scanner throws(JSONParseError) in
      let value = try scanner.readValue()
      try scanner.expectEnd()
      return value
    }
  }

  /// Runs `body` with a scanner at the start of the value that ends with it. Offsets (in
  /// errors and ``JSONScanner/index``) count from the start of ``bytes``.
  public func withScanner<T, Failure: Error>(
    _ body: (inout JSONScanner) throws(Failure) -> T
  ) throws(Failure) -> T {
    try bytes.withUnsafeBufferPointer { buffer throws(Failure) in
      var scanner = JSONScanner(
        UnsafeBufferPointer(rebasing: buffer[..<range.upperBound]), checked: isChecked, depth: depth, at: range.lowerBound)
      return try body(&scanner)
    }
  }

  /// Checks the value against the grammar: nothing to do when ``isChecked``.
  public func check() throws(JSONParseError) {
    guard !isChecked else { return }
    try withScanner { scanner throws(JSONParseError) in
      try scanner.skipValue()
      try scanner.expectEnd()
    }
  }
}

extension JSONScanner.Kind {
  /// The kind's name for messages ("expected a string, got an array").
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}

extension JSONScanner {
  /// Checks the object at the cursor's structure and member names, but only finds where each
  /// member's value ends (as in a checked buffer), noting each name and where its value lies:
  /// what is left unchecked is the values, for a decoder to check as it reads them.
  public mutating func passObjectNotingMembers() throws(JSONParseError) -> [RawJSON.Member] {
    var passing = JSONScanner(buffer, checked: true, depth: nesting, at: index)
    let members = try passing.skipObjectNotingMembers()
    index = passing.index
    return members
  }

  /// Checks (or, in a checked buffer, passes over) the object at the cursor like
  /// ``skipValue()``, noting each member's name and where its value lies.
  public mutating func skipObjectNotingMembers() throws(JSONParseError) -> [RawJSON.Member] {
    var members: [RawJSON.Member] = []
    var object = try enterObject()
    while let name = try nextMember(in: &object) {
      let start = valueStart()
      try skipValue()
      members.append(RawJSON.Member(name: name, range: start..<index))
    }
    return members
  }

  /// The byte offset just after the last value read or skipped, and the start of the next
  /// value after white space: for recording where a value lies.
  public mutating func valueStart() -> Int {
    skipWhitespace()
    return index
  }
}
