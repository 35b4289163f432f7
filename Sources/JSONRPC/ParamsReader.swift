import JSON

/// Reads a method's params (or any nested object) field by field, turning every shape problem into
/// a `-32602` whose message names the field, e.g. "params.run_id must be a string, not a number."
///
/// A member that is `null` counts as absent. Positional params (an array) are mapped onto the
/// method's field names in order.
public struct ParamsReader: Sendable {
  /// The object being read.
  public let object: JSONObject
  /// The dotted path of that object, for messages ("params", "params.providers.mistral").
  public let path: String

  /// Reads `params`: absent means empty; an array maps onto `positionalNames`.
  public init(_ params: JSONValue?, positionalNames: [String] = [], path: String = "params") throws(ResponseError) {
    self.path = path
    switch params {
    case nil, .null?:
      object = JSONObject()
    case .object(let value)?:
      object = value
    case .array(let values)?:
      guard values.count <= positionalNames.count else {
        throw .invalidParams("\(path) takes at most \(positionalNames.count) positional values, got \(values.count).")
      }
      object = JSONObject(zip(positionalNames, values).map { ($0, $1) })
    case let other?:
      throw .invalidParams("\(path) must be an object, not \(other.typeName).")
    }
  }

  /// Reads a nested object the same way.
  public init(object: JSONObject, path: String) {
    self.object = object
    self.path = path
  }

  /// The dotted path of a member.
  public func path(of key: String) -> String { "\(path).\(key)" }

  /// A member's raw value; `nil` when absent or `null`.
  public func value(_ key: String) -> JSONValue? {
    guard let value = object[key], !value.isNull else { return nil }
    return value
  }

  private func mismatch(_ key: String, expected: String, found: JSONValue) -> ResponseError {
    .invalidParams("\(path(of: key)) must be \(expected), not \(found.typeName).")
  }

  private func missing(_ key: String) -> ResponseError {
    .invalidParams("\(path(of: key)) is required.")
  }

  /// An optional string member.
  public func string(_ key: String) throws(ResponseError) -> String? {
    guard let value = value(key) else { return nil }
    guard case .string(let string) = value else { throw mismatch(key, expected: "a string", found: value) }
    return string
  }

  /// A required string member.
  public func requiredString(_ key: String) throws(ResponseError) -> String {
    guard let string = try string(key) else { throw missing(key) }
    return string
  }

  /// An optional integer member (a number without a fractional part).
  public func int(_ key: String) throws(ResponseError) -> Int? {
    guard let value = value(key) else { return nil }
    guard let integer = value.intValue else { throw mismatch(key, expected: "an integer", found: value) }
    return integer
  }

  /// An optional integer member that must be at least `minimum`.
  public func int(_ key: String, minimum: Int) throws(ResponseError) -> Int? {
    guard let integer = try int(key) else { return nil }
    guard integer >= minimum else { throw .invalidParams("\(path(of: key)) must be at least \(minimum).") }
    return integer
  }

  /// An optional number member.
  public func double(_ key: String) throws(ResponseError) -> Double? {
    guard let value = value(key) else { return nil }
    guard let number = value.doubleValue else { throw mismatch(key, expected: "a number", found: value) }
    return number
  }

  /// An optional boolean member.
  public func bool(_ key: String) throws(ResponseError) -> Bool? {
    guard let value = value(key) else { return nil }
    guard case .bool(let flag) = value else { throw mismatch(key, expected: "a boolean", found: value) }
    return flag
  }

  /// An optional array member.
  public func array(_ key: String) throws(ResponseError) -> [JSONValue]? {
    guard let value = value(key) else { return nil }
    guard case .array(let elements) = value else { throw mismatch(key, expected: "an array", found: value) }
    return elements
  }

  /// A required array member.
  public func requiredArray(_ key: String) throws(ResponseError) -> [JSONValue] {
    guard let elements = try array(key) else { throw missing(key) }
    return elements
  }

  /// An optional object member, as a reader of its own.
  public func object(_ key: String) throws(ResponseError) -> ParamsReader? {
    guard let value = value(key) else { return nil }
    guard case .object(let nested) = value else { throw mismatch(key, expected: "an object", found: value) }
    return ParamsReader(object: nested, path: path(of: key))
  }

  /// A required member of any type.
  public func required(_ key: String) throws(ResponseError) -> JSONValue {
    guard let value = value(key) else { throw missing(key) }
    return value
  }
}

extension ParamsReader {
  /// An optional integer member that must lie in `range`.
  public func int(_ key: String, in range: ClosedRange<Int>) throws(ResponseError) -> Int? {
    guard let integer = try int(key) else { return nil }
    guard range.contains(integer) else {
      throw .invalidParams("\(path(of: key)) must be from \(range.lowerBound) to \(range.upperBound).")
    }
    return integer
  }

  /// An optional number member that must lie in `range` (finite by construction: JSON has no
  /// infinities, and an overflowing literal is out of every range).
  public func double(_ key: String, in range: ClosedRange<Double>, unit: String = "") throws(ResponseError) -> Double? {
    guard let number = try double(key) else { return nil }
    guard range.contains(number) else {
      let suffix = unit.isEmpty ? "" : " \(unit)"
      throw .invalidParams("\(path(of: key)) must be from \(range.lowerBound) to \(range.upperBound)\(suffix).")
    }
    return number
  }

  /// An optional string member that must be one of `values`.
  public func string(_ key: String, oneOf values: [String]) throws(ResponseError) -> String? {
    guard let string = try string(key) else { return nil }
    guard values.contains(string) else {
      throw .invalidParams("\(path(of: key)) must be one of \(values.joined(separator: ", ")).")
    }
    return string
  }
}

extension ParamsReader {
  /// A required string member that must be one of `values`.
  public func requiredString(_ key: String, oneOf values: [String]) throws(ResponseError) -> String {
    guard let string = try string(key, oneOf: values) else { throw .invalidParams("\(path(of: key)) is required.") }
    return string
  }
}
