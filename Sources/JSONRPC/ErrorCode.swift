import JSON

/// A JSON-RPC error code: the specification's codes, the LSP ones and the engine's own.
public struct ErrorCode: RawRepresentable, Hashable, Sendable {
  public var rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }

  /// Invalid JSON, or a frame header block that cannot be read.
  public static let parseError = ErrorCode(rawValue: -32700)
  /// Not a valid request object, an oversized frame, or a request not allowed in this state.
  public static let invalidRequest = ErrorCode(rawValue: -32600)
  /// No such method.
  public static let methodNotFound = ErrorCode(rawValue: -32601)
  /// Params missing or of the wrong shape; an invalid flow.
  public static let invalidParams = ErrorCode(rawValue: -32602)
  /// A fault inside the engine; the process keeps serving.
  public static let internalError = ErrorCode(rawValue: -32603)
  /// A request other than `ping` before `initialize`.
  public static let serverNotInitialized = ErrorCode(rawValue: -32002)
  /// An unknown or no longer retained run id.
  public static let unknownRun = ErrorCode(rawValue: -32004)
  /// A quota refused the request (`quota_exceeded`): `data` says which limit.
  public static let quotaExceeded = ErrorCode(rawValue: -32005)
  /// The request was cancelled by `$/cancelRequest`.
  public static let requestCancelled = ErrorCode(rawValue: -32800)
}

/// The error member of a JSON-RPC response.
public struct ResponseError: Error, Hashable, Sendable {
  /// The numeric code.
  public var code: ErrorCode
  /// One sentence a person can act on.
  public var message: String
  /// Structured detail (for example `{"issues": [...]}` for an invalid flow).
  public var data: JSONValue?

  /// An error with a code, a message and optional data.
  public init(code: ErrorCode, message: String, data: JSONValue? = nil) {
    self.code = code
    self.message = message
    self.data = data
  }

  /// The error object as it goes on the wire.
  public var json: JSONValue {
    var object: JSONObject = ["code": .int(code.rawValue), "message": .string(message)]
    if let data { object["data"] = data }
    return .object(object)
  }

  /// A `-32700` parse error.
  public static func parseError(_ message: String) -> ResponseError { .init(code: .parseError, message: message) }
  /// A `-32600` invalid request.
  public static func invalidRequest(_ message: String) -> ResponseError { .init(code: .invalidRequest, message: message) }
  /// A `-32601` for an unknown method.
  public static func methodNotFound(_ method: String) -> ResponseError {
    .init(code: .methodNotFound, message: "Unknown method '\(method)'.")
  }
  /// A `-32602` invalid params.
  public static func invalidParams(_ message: String, data: JSONValue? = nil) -> ResponseError {
    .init(code: .invalidParams, message: message, data: data)
  }
  /// A `-32603` internal error.
  public static func internalError(_ message: String) -> ResponseError { .init(code: .internalError, message: message) }
  /// A `-32002` for requests before `initialize`.
  public static func serverNotInitialized(_ method: String) -> ResponseError {
    .init(code: .serverNotInitialized, message: "'\(method)' was sent before 'initialize'; send 'initialize' first.")
  }
  /// A `-32800` for a request cancelled by the client.
  public static let requestCancelled = ResponseError(code: .requestCancelled, message: "The request was cancelled.")
}
