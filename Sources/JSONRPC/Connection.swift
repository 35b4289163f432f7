import Dispatch
import JSON
import Logging
import Synchronization

/// A JSON-RPC 2.0 connection over a pair of file descriptors.
///
/// One dedicated thread reads the input with blocking reads, splits it into frames, classifies
/// every message and hands it to the ``MessageHandler`` in arrival order; one ``OutputWriter``
/// writes all output in order. Malformed input of any kind is answered with an error and the
/// connection keeps reading. `$/cancelRequest` is handled here: the named in-flight request is
/// answered `-32800` and its Task cancelled.
public final class Connection: Sendable {
  /// What the connection needs to know about its input.
  public struct Configuration: Sendable {
    /// The input framing, or detection from the first byte.
    public var framingMode: FramingMode
    /// The largest message body accepted.
    public var maximumMessageBytes: Int
    /// The output backlog at which a warning is logged.
    public var outputWarningBytes: Int

    /// A configuration with the engine's defaults.
    public init(framingMode: FramingMode = .auto, maximumMessageBytes: Int = 64 << 20, outputWarningBytes: Int = 16 << 20) {
      self.framingMode = framingMode
      self.maximumMessageBytes = maximumMessageBytes
      self.outputWarningBytes = outputWarningBytes
    }
  }

  private let inputFD: Int32
  private let configuration: Configuration
  private let logger: Logger
  /// The writer all output goes through.
  public let writer: OutputWriter
  private let inFlight = Mutex<[RequestID: Reply]>([:])
  private let inputState = Mutex<InputState>(InputState())

  private struct InputState {
    var framing: Framing?
    var closed = false
    var waiters: [CheckedContinuation<Void, Never>] = []
  }

  /// A connection reading `inputFD` and writing `outputFD`; call ``start(handler:)`` to begin.
  public init(inputFD: Int32, outputFD: Int32, configuration: Configuration = .init(), logger: Logger) {
    self.inputFD = inputFD
    self.configuration = configuration
    self.logger = logger
    let initialFraming: Framing = configuration.framingMode == .ndjson ? .ndjson : .lsp
    self.writer = OutputWriter(
      fd: outputFD, framing: initialFraming, warningThreshold: configuration.outputWarningBytes, logger: logger)
    if configuration.framingMode != .auto {
      inputState.withLock { $0.framing = initialFraming }
    }
  }

  /// The framing in use: fixed by configuration, or detected from the input (`nil` until then).
  public var framing: Framing? { inputState.withLock { $0.framing } }

  /// Starts the reader thread.
  public func start(handler: some MessageHandler) {
    startDetachedThread { [self] in readLoop(handler: handler) }
  }

  /// Suspends until the input has closed and the handler has been told.
  public func waitUntilInputClosed() async {
    await withCheckedContinuation { continuation in
      let resumeNow = inputState.withLock { state -> Bool in
        if state.closed { return true }
        state.waiters.append(continuation)
        return false
      }
      if resumeNow { continuation.resume() }
    }
  }

  /// Sends a notification.
  public func sendNotification(_ method: String, params: JSONValue?) {
    writer.enqueue(OutgoingMessage.notification(method: method, params: params))
  }

  /// Sends an already serialized message body (the hot path for pre-encoded notifications).
  public func sendSerialized(_ body: [UInt8]) {
    writer.enqueue(body)
  }

  /// Cancels every in-flight request (each is answered `-32800`).
  public func cancelAllRequests() {
    let replies = inFlight.withLock { inFlight in
      defer { inFlight.removeAll() }
      return Array(inFlight.values)
    }
    for reply in replies { reply.cancel() }
  }

  // MARK: - Reading

  private func readLoop(handler: some MessageHandler) {
    var decoder = FrameDecoder(mode: configuration.framingMode, maximumMessageBytes: configuration.maximumMessageBytes)
    var events: [FrameEvent] = []
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { chunk.deallocate() }
    while true {
      guard let count = FileDescriptorIO.read(inputFD, into: chunk) else {
        logger.error("Reading input failed; treating it as closed.")
        break
      }
      if count == 0 { break }
      decoder.feed(UnsafeBufferPointer(rebasing: chunk.bindMemory(to: UInt8.self)[0..<count]), into: &events)
      if let detected = decoder.framing, framing == nil {
        writer.framing = detected
        inputState.withLock { $0.framing = detected }
        logger.debug("Input framing detected: \(detected.rawValue)")
      }
      for event in events {
        switch event {
        case .message(let body): dispatch(body: body, handler: handler)
        case .error(let error):
          logger.warning("Bad frame: \(error.message)")
          writer.enqueue(OutgoingMessage.response(id: .null, error: error.responseError))
        }
      }
      events.removeAll(keepingCapacity: true)
    }
    handler.inputClosed()
    let waiters = inputState.withLock { state in
      state.closed = true
      defer { state.waiters = [] }
      return state.waiters
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Parses and routes one message body. Internal so tests and the fuzzer can drive it directly.
  func dispatch(body: [UInt8], handler: some MessageHandler) {
    let json: JSONValue
    do {
      json = try JSONParser.parse(body)
    } catch {
      logger.warning("Malformed JSON: \(error)")
      writer.enqueue(OutgoingMessage.response(id: .null, error: .parseError("Parse error: \(error).")))
      return
    }
    guard case .array(let elements) = json else {
      route(IncomingMessage(json), handler: handler) { reply, bytes in
        self.writer.enqueue(bytes)
        reply?.markDelivered()
      }
      if body.count > 1 << 20 { releaseLater(json) }
      return
    }
    guard !elements.isEmpty else {
      writer.enqueue(OutgoingMessage.response(id: .null, error: .invalidRequest("An empty batch is not a valid request.")))
      return
    }
    let messages = elements.map(IncomingMessage.init)
    let answered = messages.filter {
      switch $0 {
      case .request, .invalid: true
      case .notification, .response: false
      }
    }.count
    guard answered > 0 else {
      for message in messages { route(message, handler: handler) { _, _ in } }
      return
    }
    let collector = BatchCollector(count: answered, writer: writer)
    var slot = 0
    for message in messages {
      switch message {
      case .request, .invalid:
        let mySlot = slot
        slot += 1
        route(message, handler: handler, collector: collector) { _, bytes in collector.fill(mySlot, with: bytes) }
      case .notification, .response:
        route(message, handler: handler) { _, _ in }
      }
    }
  }

  /// Releases a large parsed message on a background queue, so freeing a multi-megabyte tree
  /// does not delay reading the next message (or compete with the work that message started).
  private func releaseLater(_ json: JSONValue) {
    DispatchQueue.global(qos: .background).asyncAfter(deadline: .now() + .milliseconds(200)) {
      withExtendedLifetime(json) {}
    }
  }

  private func route(
    _ message: IncomingMessage, handler: some MessageHandler, collector: BatchCollector? = nil,
    deliver: @escaping @Sendable (Reply?, [UInt8]) -> Void
  ) {
    switch message {
    case .invalid(let id, let error):
      logger.warning("Invalid request: \(error.message)")
      deliver(nil, OutgoingMessage.response(id: id, error: error))
    case .response(let id):
      logger.debug("Ignoring a response to id \(id): this engine sends no requests.")
    case .notification(let notification):
      if notification.method == "$/cancelRequest" {
        cancelRequest(notification.params)
      } else {
        handler.handle(notification)
      }
    case .request(let request):
      let reply = Reply(id: request.id, method: request.method) { [weak self] reply, bytes in
        self?.inFlight.withLock { inFlight in
          if inFlight[reply.id] === reply { inFlight[reply.id] = nil }
        }
        deliver(reply, bytes)
      }
      collector?.register(reply)
      let duplicate = inFlight.withLock { inFlight -> Bool in
        if inFlight[request.id] != nil { return true }
        inFlight[request.id] = reply
        return false
      }
      if duplicate {
        logger.warning("Request id \(request.id) is already in flight; '$/cancelRequest' will reach only the first.")
      }
      handler.handle(request, reply: reply)
    }
  }

  private func cancelRequest(_ params: JSONValue?) {
    let reader = try? ParamsReader(params, positionalNames: ["id"])
    guard let rawID = reader?.object["id"], let id = RequestID(rawID) else {
      logger.warning("Ignoring '$/cancelRequest' without a valid 'id'.")
      return
    }
    guard let reply = inFlight.withLock({ $0[id] }) else {
      logger.debug("'$/cancelRequest' for id \(id), which is not in flight.")
      return
    }
    logger.debug("Cancelling request \(id) ('\(reply.method)').")
    reply.cancel()
  }
}
