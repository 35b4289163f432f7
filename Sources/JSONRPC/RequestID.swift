import JSON

/// A JSON-RPC request id: a string or a number, echoed back with the JSON type it arrived with.
///
/// `null` is representable because the specification allows it (discouraged) and because error
/// responses about unreadable requests carry `"id": null`.
public enum RequestID: Hashable, Sendable {
  case int(Int)
  case double(Double)
  case string(String)
  case null

  /// Reads an id member; `nil` when the value is not a valid id type (boolean, array, object).
  public init?(_ json: JSONValue) {
    switch json {
    case .int(let value): self = .int(value)
    case .double(let value): self = .double(value)
    case .string(let value): self = .string(value)
    case .null: self = .null
    default: return nil
    }
  }

  /// The id as it goes on the wire.
  public var json: JSONValue {
    switch self {
    case .int(let value): .int(value)
    case .double(let value): .double(value)
    case .string(let value): .string(value)
    case .null: .null
    }
  }
}

extension RequestID: CustomStringConvertible {
  public var description: String { json.description }
}
