import JSON

/// A JSON-RPC request id: a string or a number, echoed back exactly as it arrived.
///
/// `null` is representable because the specification allows it (discouraged) and because error
/// responses about unreadable requests carry `"id": null`. A number that is not an exact 64-bit
/// integer (`1.5`, `1e3`, `123456789012345678901234567890`) keeps the text it was written in, so
/// the response echoes it digit for digit.
public enum RequestID: Hashable, Sendable {
  case int(Int)
  /// A number id that is not an exact 64-bit integer, as the text it arrived in.
  case number(String)
  case string(String)
  case null

  /// Reads an id member; `nil` when the value is not a valid id type (boolean, array, object).
  ///
  /// A fractional number read from a tree has lost its text; it is written the way the
  /// serializer writes it. Readers that see the bytes use ``init(numberText:)`` instead.
  public init?(_ json: JSONValue) {
    switch json {
    case .int(let value): self = .int(value)
    case .double(let value): self = .number(String(decoding: JSONSerializer.serialize(.double(value)), as: UTF8.self))
    case .string(let value): self = .string(value)
    case .null: self = .null
    default: return nil
    }
  }

  /// A number id from its JSON text (already checked against the grammar): an `Int` when the
  /// text is a plain integer that fits, otherwise the text itself.
  public init(numberText text: String) {
    if let value = Int(text), String(value) == text {
      self = .int(value)
    } else {
      self = .number(text)
    }
  }

  /// Appends the id's JSON text.
  public func append(to output: inout [UInt8]) {
    switch self {
    case .int(let value): JSONSerializer.append(value, to: &output)
    case .number(let text): output.append(contentsOf: text.utf8)
    case .string(let value): JSONSerializer.append(value, to: &output)
    case .null: JSONSerializer.appendRaw("null", to: &output)
    }
  }
}

extension RequestID: CustomStringConvertible {
  public var description: String {
    var output: [UInt8] = []
    append(to: &output)
    return String(decoding: output, as: UTF8.self)
  }
}
