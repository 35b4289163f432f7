import JSON

/// A message's `params` as sent: a parsed tree, or the bytes they arrived in (parsed only when
/// a handler asks, so a decoder can build its own model straight from the bytes).
public enum MessageParams: Sendable {
  case value(JSONValue)
  case raw(RawJSON)

  /// The params as a tree.
  public var value: JSONValue {
    switch self {
    case .value(let value): value
    // The bytes were checked when the message was read, or (params left to a method that
    // checks its own) are checked by this parse; what does not parse reads as null.
    case .raw(let raw): (try? raw.parsed()) ?? .null
    }
  }

  /// The params as bytes.
  public var raw: RawJSON {
    switch self {
    case .value(let value): RawJSON(value)
    case .raw(let raw): raw
    }
  }
}

/// A request received from the peer: it carries an id and expects exactly one response.
public struct Request: Sendable {
  /// The id to echo in the response.
  public var id: RequestID
  /// The method name.
  public var method: String
  /// `params` as sent (an object or an array), or `nil` when absent or `null`.
  public var rawParams: MessageParams?

  /// A request with an id, a method and params.
  public init(id: RequestID, method: String, params: JSONValue?) {
    self.init(id: id, method: method, rawParams: params.map(MessageParams.value))
  }

  /// A request with params as they arrived.
  public init(id: RequestID, method: String, rawParams: MessageParams?) {
    self.id = id
    self.method = method
    self.rawParams = rawParams
  }

  /// `params` parsed: an object, an array, or `nil` when absent.
  public var params: JSONValue? { rawParams?.value }
}

/// A notification received from the peer: it is never answered, not even on error.
public struct Notification: Sendable {
  /// The method name.
  public var method: String
  /// `params` as sent (an object, an array, or absent), as a tree or as the bytes it arrived in.
  public var rawParams: MessageParams?

  /// A notification with a method and params.
  public init(method: String, params: JSONValue?) {
    self.init(method: method, rawParams: params.map(MessageParams.value))
  }

  /// A notification whose params may still be bytes.
  public init(method: String, rawParams: MessageParams?) {
    self.method = method
    self.rawParams = rawParams
  }

  /// `params` as a tree: an object, an array, or absent.
  public var params: JSONValue? { rawParams?.value }
}

/// One element of the input stream after JSON-RPC classification.
public enum IncomingMessage: Sendable {
  case request(Request)
  case notification(Notification)
  /// A response to a request this side sent; the engine sends none, so these are only logged.
  case response(id: RequestID)
  /// Not a valid JSON-RPC message; answered with this error and id.
  case invalid(id: RequestID, error: ResponseError)

  /// The members of a message object that classification looks at.
  struct Envelope {
    var jsonrpc: JSONValue?
    var id: JSONValue?
    /// The text of a number id, when the envelope was read from bytes.
    var idNumberText: String?
    var method: JSONValue?
    var params: MessageParams?
    var paramsKind: JSONScanner.Kind?
    var hasResultOrError = false
    /// A member name that appeared twice.
    var repeated: String?
  }

  /// Classifies one JSON value (one message, or one element of a batch) as JSON-RPC 2.0 defines.
  public init(_ json: JSONValue) {
    guard case .object(let object) = json else {
      self = .invalid(id: .null, error: .invalidRequest("A JSON-RPC message must be an object, not \(json.typeName)."))
      return
    }
    var envelope = Envelope(jsonrpc: object["jsonrpc"], id: object["id"], method: object["method"])
    envelope.repeated = object.repeatedMemberName
    envelope.hasResultOrError = object.contains("result") || object.contains("error")
    if let params = object["params"] {
      envelope.params = .value(params)
      envelope.paramsKind = Self.kind(of: params)
    }
    self.init(envelope)
  }

  /// Reads a message object straight from its bytes: the envelope members are parsed, `params`
  /// is only checked against the grammar and kept as bytes. The scanner stands at the object.
  ///
  /// Object params of a request to one of `checkedByHandler` are only passed over (their
  /// structure and member names checked, their values not): that method's decoder checks them
  /// while it reads them, so the bytes are gone through once. Any other message has its params
  /// checked here, as always.
  static func scanning(
    _ scanner: inout JSONScanner, bytes: [UInt8], checkedByHandler: Set<String> = []
  ) throws(JSONParseError) -> IncomingMessage {
    var envelope = Envelope()
    // Params passed over, not checked (more than one when `params` is repeated).
    var passedOver: [RawJSON] = []
    var object = try scanner.enterObject()
    var seen: Set<String> = []
    while let key = try scanner.nextMember(in: &object) {
      if !seen.insert(key).inserted, envelope.repeated == nil { envelope.repeated = key }
      switch key {
      case "jsonrpc": envelope.jsonrpc = try scanner.readValue()
      case "id":
        if scanner.peekKind() == .number {
          let start = scanner.valueStart()
          envelope.id = try scanner.readValue()
          envelope.idNumberText = String(decoding: bytes[start..<scanner.index], as: UTF8.self)
        } else {
          envelope.id = try scanner.readValue()
          envelope.idNumberText = nil
        }
      case "method": envelope.method = try scanner.readValue()
      case "params":
        let start = scanner.valueStart()
        envelope.paramsKind = scanner.peekKind()
        let depth = scanner.depth
        // An object's members are noted, so a decoder can read the large ones (a flow's nodes
        // and edges) side by side.
        var members: [RawJSON.Member]?
        let passing = envelope.paramsKind == .object && !checkedByHandler.isEmpty
        if envelope.paramsKind == .object {
          members = try passing ? scanner.passObjectNotingMembers() : scanner.skipObjectNotingMembers()
        } else {
          try scanner.skipValue()
        }
        let raw = RawJSON(bytes: bytes, range: start..<scanner.index, members: members, isChecked: !passing, depth: depth)
        if passing { passedOver.append(raw) }
        envelope.params = .raw(raw)
      case "result", "error":
        envelope.hasResultOrError = true
        try scanner.skipValue()
      default:
        try scanner.skipValue()
      }
    }
    guard !passedOver.isEmpty else { return IncomingMessage(envelope) }
    let message = IncomingMessage(envelope)
    if case .request(let request) = message, checkedByHandler.contains(request.method) { return message }
    // Not a request to such a method after all: the params are checked here, as for any message.
    for raw in passedOver { try raw.check() }
    if case .raw(let raw)? = envelope.params {
      envelope.params = .raw(RawJSON(bytes: bytes, range: raw.range, members: raw.members, depth: raw.depth))
    }
    return IncomingMessage(envelope)
  }

  private static func kind(of value: JSONValue) -> JSONScanner.Kind {
    switch value {
    case .null: .null
    case .bool: .bool
    case .int, .double: .number
    case .string: .string
    case .array: .array
    case .object: .object
    }
  }

  private init(_ envelope: Envelope) {
    var id: RequestID? = nil
    if let rawID = envelope.id {
      if let text = envelope.idNumberText {
        id = RequestID(numberText: text)
      } else if let valid = RequestID(rawID) {
        id = valid
      } else {
        self = .invalid(id: .null, error: .invalidRequest("'id' must be a string, a number or null, not \(rawID.typeName)."))
        return
      }
    }
    if let repeated = envelope.repeated {
      // Which of two values counts is ambiguous (one reader takes the first, another the last):
      // such a message is refused rather than guessed at.
      self = .invalid(
        id: id ?? .null, error: .invalidRequest("The message has the member '\(repeated)' more than once."))
      return
    }
    guard envelope.jsonrpc == .string("2.0") else {
      let found = envelope.jsonrpc.map { "\($0)" } ?? "missing"
      self = .invalid(id: id ?? .null, error: .invalidRequest("'jsonrpc' must be \"2.0\" (found \(found))."))
      return
    }
    guard let rawMethod = envelope.method else {
      if let id, envelope.hasResultOrError {
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
    var params = envelope.params
    switch envelope.paramsKind {
    case nil, .null?: params = nil
    case .object?, .array?: break
    case let other?:
      self = .invalid(
        id: id ?? .null, error: .invalidRequest("'params' must be an object or an array, not \(other.typeName)."))
      return
    }
    if let id {
      self = .request(Request(id: id, method: method, rawParams: params))
    } else {
      self = .notification(Notification(method: method, rawParams: params))
    }
  }

  /// The method of a request or notification.
  public var method: String? {
    switch self {
    case .request(let request): request.method
    case .notification(let notification): notification.method
    case .response, .invalid: nil
    }
  }
}

/// A message body after the first reading: one message, or a batch of them.
public enum DecodedBody: Sendable {
  case message(IncomingMessage)
  case batch([IncomingMessage])
  /// A batch with more elements than allowed: answered with one `-32600`, its elements unread.
  case oversizedBatch(count: Int, limit: Int)

  /// Reads a body: each message object is classified from its envelope with `params` kept as
  /// bytes and a number id kept as its text. A batch is counted first (checked against the
  /// grammar, nothing built) and read only when it has at most `maximumBatch` elements.
  /// Anything else is parsed whole and refused as a message. Invalid JSON throws.
  ///
  /// A single request to one of `checkedByHandler` keeps its object params unchecked for its
  /// decoder (see ``IncomingMessage``); batch elements are always checked here.
  public init(_ body: [UInt8], maximumBatch: Int = .max, checkedByHandler: Set<String> = []) throws(JSONParseError) {
    let decoded = try body.withUnsafeBufferPointer { buffer throws(JSONParseError) -> DecodedBody in
      var scanner = JSONScanner(buffer)
      guard scanner.peekKind() == .array else {
        let message: IncomingMessage
        if scanner.peekKind() == .object {
          message = try IncomingMessage.scanning(&scanner, bytes: body, checkedByHandler: checkedByHandler)
        } else {
          message = try Self.element(&scanner, bytes: body)
        }
        try scanner.expectEnd()
        return .message(message)
      }
      var counter = scanner
      var array = try counter.enterArray()
      var count = 0
      while try counter.nextElement(in: &array) {
        count += 1
        try counter.skipValue()
      }
      try counter.expectEnd()
      guard count <= maximumBatch else { return .oversizedBatch(count: count, limit: maximumBatch) }
      var messages: [IncomingMessage] = []
      messages.reserveCapacity(count)
      array = try scanner.enterArray()
      while try scanner.nextElement(in: &array) {
        messages.append(try Self.element(&scanner, bytes: body))
      }
      try scanner.expectEnd()
      return .batch(messages)
    }
    self = decoded
  }

  /// One message (or batch element): an object read from its bytes, anything else as a tree.
  private static func element(_ scanner: inout JSONScanner, bytes: [UInt8]) throws(JSONParseError) -> IncomingMessage {
    if scanner.peekKind() == .object { return try IncomingMessage.scanning(&scanner, bytes: bytes) }
    return IncomingMessage(try scanner.readValue())
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
    id.append(to: &output)
    JSONSerializer.appendRaw(#","result":"#, to: &output)
    JSONSerializer.append(result, to: &output)
    output.append(UInt8(ascii: "}"))
  }

  /// Appends an error response.
  public static func appendResponse(id: RequestID, error: ResponseError, to output: inout [UInt8]) {
    JSONSerializer.appendRaw(#"{"jsonrpc":"2.0","id":"#, to: &output)
    id.append(to: &output)
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
      id.append(to: &output)
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
