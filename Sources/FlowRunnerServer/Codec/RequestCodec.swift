import JSON
import JSONRPC

/// One request method's wire shapes: how its params are decoded and its result encoded. Every
/// method has one codec type in its own file of this folder; the server dispatches on
/// ``method`` and never touches JSON itself.
protocol RequestCodec {
  /// The decoded params.
  associatedtype Params
  /// The domain result.
  associatedtype Result

  /// The JSON-RPC method name.
  static var method: String { get }
  /// Field names of positional (array) params, in order.
  static var positionalNames: [String] { get }

  /// Decodes `params`; every shape problem is a `-32602` naming the field.
  static func decode(_ params: MessageParams?) throws(ResponseError) -> Params
  /// Encodes the result.
  static func encode(_ result: Result) -> JSONValue
}

extension RequestCodec {
  static var positionalNames: [String] { [] }

  /// A reader over `params` (parsed) with this method's positional names.
  static func reader(_ params: MessageParams?) throws(ResponseError) -> ParamsReader {
    try ParamsReader(params?.value, positionalNames: positionalNames)
  }
}

/// A method without params: `null`, absent, or any object (its members are ignored, as LSP
/// servers do); any other JSON type is a `-32602`.
struct NoParams {}

extension RequestCodec where Params == NoParams {
  static func decode(_ params: MessageParams?) throws(ResponseError) -> NoParams {
    _ = try reader(params)
    return NoParams()
  }
}
