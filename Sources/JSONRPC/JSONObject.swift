/// A JSON object that keeps its members in insertion order, so everything the engine writes
/// has a stable, readable key order, while lookups stay O(1).
///
/// Equality and hashing ignore member order, as JSON object semantics do.
public struct JSONObject: Sendable {
  /// Member names in insertion order.
  public private(set) var keys: [String]
  private var storage: [String: JSONValue]

  /// An empty object.
  public init() {
    keys = []
    storage = [:]
  }

  /// An object with these members in this order; a repeated name keeps its first position and last value.
  public init(_ members: some Sequence<(String, JSONValue)>) {
    self.init()
    for (key, value) in members { self[key] = value }
  }

  /// The number of members.
  public var count: Int { keys.count }

  /// Whether the object has no members.
  public var isEmpty: Bool { keys.isEmpty }

  /// Reads, adds, replaces (keeping the position) or, with `nil`, removes a member.
  public subscript(key: String) -> JSONValue? {
    get { storage[key] }
    set {
      if let newValue {
        if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
      } else if storage.removeValue(forKey: key) != nil {
        keys.removeAll { $0 == key }
      }
    }
  }

  /// Whether a member of this name exists (with any value, `null` included).
  public func contains(_ key: String) -> Bool { storage[key] != nil }

  /// Members in insertion order.
  public var members: some Sequence<(key: String, value: JSONValue)> {
    keys.lazy.map { (key: $0, value: storage[$0]!) }
  }

  /// Reserves room for `capacity` members.
  public mutating func reserveCapacity(_ capacity: Int) {
    keys.reserveCapacity(capacity)
    storage.reserveCapacity(capacity)
  }
}

extension JSONObject: Hashable {
  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.storage == rhs.storage }
  public func hash(into hasher: inout Hasher) { hasher.combine(storage) }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
  public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}
