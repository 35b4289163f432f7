// libFuzzer entry point over the input side of the JSON-RPC layer: framing (LSP and NDJSON,
// fed in chunks whose sizes the input chooses), the JSON parser, message classification and
// params reading. Invariants checked on every input:
// - no crash, no hang, no unbounded buffering (the parsers hold at most the size cap);
// - every parsed document serializes and parses back to the same value;
// - reading a message's envelope with params kept as bytes accepts exactly what the full parser
//   accepts, and the params read back from the bytes equal the parsed ones.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 2 else { return 0 }
  let control = data[0]
  let chunkSize = Int(data[1]) + 1
  let payload = UnsafeBufferPointer(start: data + 2, count: size - 2)
  if control & 0x40 != 0 {
    fuzzServerSentEvents(payload, chunkSize: chunkSize)
    return 0
  }
  let mode: FramingMode = [.auto, .lsp, .ndjson][Int(control % 3)]
  let cap = control & 0x80 != 0 ? 64 : 1 << 20
  var decoder = FrameDecoder(mode: mode, maximumMessageBytes: cap)
  var events: [FrameEvent] = []
  var offset = 0
  while offset < payload.count {
    let end = min(payload.count, offset + chunkSize)
    decoder.feed(UnsafeBufferPointer(rebasing: payload[offset..<end]), into: &events)
    offset = end
  }
  for event in events {
    guard case .message(let body) = event else { continue }
    precondition(body.count <= cap, "a message larger than the cap was emitted")
    let envelope = try? DecodedBody(body)
    checkHandedOver(body, accepted: envelope != nil)
    guard let value = try? JSONParser.parse(body) else {
      precondition(envelope == nil, "the envelope reader accepted what the parser rejects")
      continue
    }
    let read: [IncomingMessage]
    switch envelope {
    case nil: preconditionFailure("the envelope reader rejected what the parser accepts")
    case .message(let message)?: read = [message]
    case .batch(let messages)?: read = messages
    case .oversizedBatch?: preconditionFailure("a batch without a limit was refused")
    }
    let trees = value.arrayValue ?? [value]
    precondition(read.count == trees.count, "the batch was read with another length")
    for (message, tree) in zip(read, trees) {
      let parsed = IncomingMessage(tree)
      precondition(message.request?.params == parsed.request?.params, "params read from bytes differ")
      if let id = message.request?.id, let expected = parsed.request?.id {
        // The exact text may differ from the tree's (which lost it); its value may not.
        precondition(
          id.numericValue.map { $0 == expected.numericValue } ?? (id == expected), "the id read from bytes has another value")
        if case .number(let text) = id {
          precondition(text.utf8.allSatisfy { $0 > 0x20 } && !text.isEmpty, "a number id kept more than its text")
        }
      }
    }
    let reparsed = try? JSONParser.parse(JSONSerializer.serialize(value))
    precondition(reparsed == value, "serialize/parse round trip changed the document")
    let messages = value.arrayValue ?? [value]
    for element in messages {
      switch IncomingMessage(element) {
      case .request(let request):
        _ = OutgoingMessage.response(id: request.id, error: .methodNotFound(request.method))
        if let reader = try? ParamsReader(request.params, positionalNames: ["a", "b", "c"]) {
          _ = try? reader.string("a")
          _ = try? reader.int("b", minimum: 0)
          _ = try? reader.object("c")
        }
      case .notification(let notification):
        _ = try? ParamsReader(notification.params, positionalNames: ["id"])
      case .invalid(let id, let error):
        _ = OutgoingMessage.response(id: id, error: error)
      case .response:
        break
      }
    }
  }
  return 0
}

/// The SSE parser: chunked feeding must give the same events as feeding everything at once.
func fuzzServerSentEvents(_ payload: UnsafeBufferPointer<UInt8>, chunkSize: Int) {
  var whole = SSEParser()
  let expected = whole.feed(payload)
  var chunked = SSEParser()
  var events: [ServerSentEvent] = []
  var offset = 0
  while offset < payload.count {
    let end = min(payload.count, offset + chunkSize)
    events += chunked.feed(UnsafeBufferPointer(rebasing: payload[offset..<end]))
    offset = end
  }
  precondition(events == expected, "chunked SSE parsing differs from whole parsing")
}

extension RequestID {
  /// The value a number id stands for; `nil` for other ids.
  var numericValue: Double? {
    switch self {
    case .int(let value): Double(value)
    case .number(let text): Double(text) ?? .nan
    default: nil
    }
  }
}

extension IncomingMessage {
  /// The request, when this is one.
  var request: Request? {
    if case .request(let request) = self { return request }
    return nil
  }
}

/// A request whose method checks its own params (here: every method) may leave its object
/// params unchecked; then checking them must fail exactly when the full reading fails, and
/// anything else is read as the full reading reads it.
func checkHandedOver(_ body: [UInt8], accepted: Bool) {
  let methods: Set = ["execution.start", "flow.validate", "ping", "x", ""]
  guard let handed = try? DecodedBody(body, checkedByHandler: methods) else {
    precondition(!accepted, "handing params over refused what the full reading accepts")
    return
  }
  guard case .message(.request(let request)) = handed, case .raw(let raw)? = request.rawParams, !raw.isChecked else {
    precondition(accepted, "a message read whole was accepted only when params could be handed over")
    return
  }
  precondition(methods.contains(request.method), "params of another method were left unchecked")
  let grammatical = (try? raw.check()) != nil
  precondition(grammatical == accepted, "checking the handed-over params disagrees with the full reading")
  if grammatical {
    precondition((try? raw.parsed()) != nil, "checked params do not parse")
  }
}
