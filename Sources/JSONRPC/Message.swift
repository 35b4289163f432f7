import JSON

/// A request received from the peer: it carries an id and expects exactly one response.
public struct Request: Sendable {
  /// The id to echo in the response.
  public var id: RequestID
  /// The method name.
  public var method: String
  /// `params` as sent: an object, an array, or absent.
  public var params: JSONValue?

  /// A request with an id, a method and params.
  public init(id: RequestID, method: String, params: JSONValue?) {
    self.id = id
    self.method = method
    self.params = params
  }
}

/// A notification received from the peer: it is never answered, not even on error.
public struct Notification: Sendable {
  /// The method name.
  public var method: String
  /// `params` as sent: an object, an array, or absent.
  public var params: JSONValue?

  /// A notification with a method and params.
  public init(method: String, params: JSONValue?) {
    self.method = method
    self.params = params
  }
}

/// One element of the input stream after JSON-RPC classification.
public enum IncomingMessage: Sendable {
  case request(Request)
  case notification(Notification)
  /// A response to a request this side sent; the engine sends none, so these are only logged.
  case response(id: RequestID)
  /// Not a valid JSON-RPC message; answered with this error and id.
  case invalid(id: RequestID, error: ResponseError)

  /// Classifies one JSON value (one message, or one element of a batch) as JSON-RPC 2.0 defines.
  public init(_ json: JSONValue) {
    guard case .object(let object) = json else {
      self = .invalid(id: .null, error: .invalidRequest("A JSON-RPC message must be an object, not \(json.typeName)."))
      return
    }
    var id: RequestID? = nil
    if let rawID = object["id"] {
      guard let valid = RequestID(rawID) else {
        self = .invalid(id: .null, error: .invalidRequest("'id' must be a string, a number or null, not \(rawID.typeName)."))
        return
      }
      id = valid
    }
    guard object["jsonrpc"] == .string("2.0") else {
      let found = object["jsonrpc"].map { "\($0)" } ?? "missing"
      self = .invalid(id: id ?? .null, error: .invalidRequest("'jsonrpc' must be \"2.0\" (found \(found))."))
      return
    }
    guard let rawMethod = object["method"] else {
      if let id, object.contains("result") || object.contains("error") {
        self = .response(id: id)
      } else {
        self = .invalid(id: id ?? .null, error: .invalidRequest("A request needs a 'method' member."))
      }
      return
    }
    guard case .string(let method) = rawMethod else {
      self = .invalid(id: .null, error: .invalidRequest("'method' must be a string, not \(rawMethod.typeName)."))
      return
    }
    // `"params": null` is what many LSP clients send for "no params"; it reads as absent.
    let params = object["params"].flatMap { $0.isNull ? nil : $0 }
    if let params {
      switch params {
      case .object, .array: break
      default:
        self = .invalid(
          id: id ?? .null,
          error: .invalidRequest("'params' must be an object or an array, not \(params.typeName)."))
        return
      }
    }
    if let id {
      self = .request(Request(id: id, method: method, params: params))
    } else {
      self = .notification(Notification(method: method, params: params))
    }
  }
}

/// Builds the JSON text of outgoing messages.
public enum OutgoingMessage {
  /// A success response.
  public static func response(id: RequestID, result: JSONValue) -> [UInt8] {
    var output: [UInt8] = []
    appendResponse(id: id, result: result, to: &output)
    return output
  }

  /// An error response.
  public static func response(id: RequestID, error: ResponseError) -> [UInt8] {
    var output: [UInt8] = []
    appendResponse(id: id, error: error, to: &output)
    return output
  }

  /// Appends a success response.
  public static func appendResponse(id: RequestID, result: JSONValue, to output: inout [UInt8]) {
    JSONSerializer.appendRaw(#"{"jsonrpc":"2.0","id":"#, to: &output)
    JSONSerializer.append(id.json, to: &output)
    JSONSerializer.appendRaw(#","result":"#, to: &output)
    JSONSerializer.append(result, to: &output)
    output.append(UInt8(ascii: "}"))
  }

  /// Appends an error response.
  public static func appendResponse(id: RequestID, error: ResponseError, to output: inout [UInt8]) {
    JSONSerializer.appendRaw(#"{"jsonrpc":"2.0","id":"#, to: &output)
    JSONSerializer.append(id.json, to: &output)
    JSONSerializer.appendRaw(#","error":"#, to: &output)
    JSONSerializer.append(error.json, to: &output)
    output.append(UInt8(ascii: "}"))
  }

  /// A notification.
  public static func notification(method: String, params: JSONValue?) -> [UInt8] {
    call(id: nil, method: method, params: params)
  }

  /// A request (used by clients: tests, benchmarks).
  public static func request(id: RequestID, method: String, params: JSONValue?) -> [UInt8] {
    call(id: id, method: method, params: params)
  }

  /// A request with an id, or a notification without one.
  private static func call(id: RequestID?, method: String, params: JSONValue?) -> [UInt8] {
    var output: [UInt8] = []
    JSONSerializer.appendRaw(#"{"jsonrpc":"2.0","#, to: &output)
    if let id {
      JSONSerializer.appendRaw(#""id":"#, to: &output)
      JSONSerializer.append(id.json, to: &output)
      output.append(UInt8(ascii: ","))
    }
    JSONSerializer.appendRaw(#""method":"#, to: &output)
    JSONSerializer.append(method, to: &output)
    if let params {
      JSONSerializer.appendRaw(#","params":"#, to: &output)
      JSONSerializer.append(params, to: &output)
    }
    output.append(UInt8(ascii: "}"))
    return output
  }
}
