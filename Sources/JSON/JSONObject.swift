/// A JSON object that keeps its members in insertion order, so everything the engine writes
/// has a stable, readable key order.
///
/// Most objects on the wire are small (a node, an edge, a position), so members live in one
/// array searched linearly; an index by name is built only once an object grows past
/// ``indexThreshold`` members. Equality and hashing ignore member order, as JSON object
/// semantics do.
public struct JSONObject: Sendable {
  /// Objects with more members than this get a dictionary index.
  public static let indexThreshold = 12

  private struct Entry: Sendable {
    var key: String
    var value: JSONValue
  }

  private var entries: [Entry]
  private var index: [String: Int]?
  /// The name that appeared more than once when this object was parsed (the last value was
  /// kept), if any: a message with one is not a valid request.
  public private(set) var repeatedMemberName: String?

  /// An empty object.
  public init() {
    entries = []
    index = nil
    repeatedMemberName = nil
  }

  /// An object with these members in this order; a repeated name keeps its first position and last value.
  public init(_ members: some Sequence<(String, JSONValue)>) {
    self.init()
    for (key, value) in members { self[key] = value }
  }

  /// An object from parsed members, allocated at its exact size; a repeated name keeps its
  /// first position and last value.
  init(parsedMembers: ArraySlice<(String, JSONValue)>) {
    entries = []
    entries.reserveCapacity(parsedMembers.count)
    index = nil
    repeatedMemberName = nil
    if parsedMembers.count <= Self.indexThreshold {
      for (key, value) in parsedMembers {
        if let position = entries.firstIndex(where: { $0.key == key }) {
          entries[position].value = value
          repeatedMemberName = repeatedMemberName ?? key
        } else {
          entries.append(Entry(key: key, value: value))
        }
      }
    } else {
      var built: [String: Int] = [:]
      built.reserveCapacity(parsedMembers.count)
      for (key, value) in parsedMembers {
        if let position = built[key] {
          entries[position].value = value
          repeatedMemberName = repeatedMemberName ?? key
        } else {
          built[key] = entries.count
          entries.append(Entry(key: key, value: value))
        }
      }
      index = entries.count > Self.indexThreshold ? built : nil
    }
  }

  /// Member names in insertion order.
  public var keys: [String] { entries.map(\.key) }

  /// The number of members.
  public var count: Int { entries.count }

  /// Whether the object has no members.
  public var isEmpty: Bool { entries.isEmpty }

  private func position(of key: String) -> Int? {
    if let index { return index[key] }
    return entries.firstIndex { $0.key == key }
  }

  /// Reads, adds, replaces (keeping the position) or, with `nil`, removes a member.
  public subscript(key: String) -> JSONValue? {
    get { position(of: key).map { entries[$0].value } }
    set {
      if let position = position(of: key) {
        if let newValue {
          entries[position].value = newValue
        } else {
          entries.remove(at: position)
          rebuildIndex()
        }
      } else if let newValue {
        entries.append(Entry(key: key, value: newValue))
        if index != nil {
          index![key] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
          rebuildIndex()
        }
      }
    }
  }

  private mutating func rebuildIndex() {
    guard entries.count > Self.indexThreshold else {
      index = nil
      return
    }
    var built: [String: Int] = [:]
    built.reserveCapacity(entries.count)
    for (position, entry) in entries.enumerated() { built[entry.key] = position }
    index = built
  }

  /// Whether a member of this name exists (with any value, `null` included).
  public func contains(_ key: String) -> Bool { position(of: key) != nil }

  /// Members in insertion order.
  public var members: [(key: String, value: JSONValue)] {
    entries.map { (key: $0.key, value: $0.value) }
  }

  /// Calls `body` with each member in insertion order, without building an array.
  public func forEachMember(_ body: (String, JSONValue) throws -> Void) rethrows {
    for entry in entries { try body(entry.key, entry.value) }
  }

  /// Reserves room for `capacity` members.
  public mutating func reserveCapacity(_ capacity: Int) {
    entries.reserveCapacity(capacity)
  }
}

extension JSONObject: Hashable {
  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    guard lhs.count == rhs.count else { return false }
    for entry in lhs.entries where rhs[entry.key] != entry.value { return false }
    return true
  }

  public func hash(into hasher: inout Hasher) {
    // Order-independent: combine the members' hashes commutatively.
    var combined = 0
    for entry in entries {
      var memberHasher = Hasher()
      memberHasher.combine(entry.key)
      memberHasher.combine(entry.value)
      combined = combined &+ memberHasher.finalize()
    }
    hasher.combine(entries.count)
    hasher.combine(combined)
  }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
  public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}
