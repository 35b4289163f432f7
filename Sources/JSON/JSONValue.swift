/// A JSON document held in memory: the free-form value type of the wire protocol.
///
/// It is deliberately not `ExpressibleByNilLiteral`: `nil` must always mean "absent", never JSON `null`.
///
/// Integers that fit in `Int` stay integers so request ids and counters echo back with the
/// same JSON type they arrived with; every other number is a `Double`.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)
}

extension JSONValue {
  /// The name of this value's JSON type, for error messages ("expected a string, got an array").
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .int, .double: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }

  /// The string payload, or `nil` for every other type.
  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The object payload, or `nil` for every other type.
  public var objectValue: JSONObject? {
    if case .object(let value) = self { return value }
    return nil
  }

  /// The array payload, or `nil` for every other type.
  public var arrayValue: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }

  /// The boolean payload, or `nil` for every other type.
  public var boolValue: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  /// An integer payload; a `Double` with no fractional part converts too.
  public var intValue: Int? {
    switch self {
    case .int(let value): return value
    case .double(let value):
      guard value.rounded(.towardZero) == value, let exact = Int(exactly: value) else { return nil }
      return exact
    default: return nil
    }
  }

  /// Any numeric payload as a `Double`.
  public var doubleValue: Double? {
    switch self {
    case .int(let value): Double(value)
    case .double(let value): value
    default: nil
    }
  }

  /// Whether this is JSON `null`.
  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// Member lookup on objects; `nil` for absent members and for non-objects.
  public subscript(key: String) -> JSONValue? {
    objectValue?[key]
  }
}

extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(JSONObject(elements))
  }
}

extension JSONValue: CustomStringConvertible {
  /// The compact JSON text of this value.
  public var description: String {
    String(decoding: JSONSerializer.serialize(self), as: UTF8.self)
  }
}
