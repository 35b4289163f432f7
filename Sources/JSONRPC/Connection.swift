import Dispatch
import JSON
import Logging
import Signals

/// A JSON-RPC 2.0 connection over a pair of file descriptors.
///
/// One dedicated thread reads the input with blocking reads and splits it into frames; one
/// ``OutputWriter`` writes all output in order. Messages reach the ``MessageHandler`` in
/// arrival order through an ``InputPipeline``: small ones are parsed on the reader thread, large
/// ones on a background task, so the reader keeps reading while a multi-megabyte request is
/// parsed, and a `ping` or `$/cancelRequest` behind it is handled at once. Malformed input of
/// any kind is answered with an error and the connection keeps reading. `$/cancelRequest` is
/// handled here: the named in-flight request is answered `-32800` and its Task cancelled.
public final class Connection: Sendable {
  /// What the connection needs to know about its input.
  public struct Configuration: Sendable {
    /// The input framing, or detection from the first byte.
    public var framingMode: FramingMode
    /// The largest message body accepted.
    public var maximumMessageBytes: Int
    /// The output backlog at which a stalled client draws a warning.
    public var outputWarningBytes: Int
    /// Messages at least this large are parsed off the reader thread.
    public var backgroundParseBytes: Int
    /// The most elements a batch may have; a larger one is answered with one `-32600`.
    public var maximumBatch: Int
    /// Methods whose decoders check their params against the grammar as they read them: a
    /// request to one of them at least ``backgroundParseBytes`` large hands its object params
    /// over unchecked, so those bytes are gone through once. Its decoder answers bad JSON with
    /// `-32700`, carrying the request's id.
    public var checkedByHandler: Set<String>

    /// A configuration with the engine's defaults.
    public init(
      framingMode: FramingMode = .auto, maximumMessageBytes: Int = 64 << 20, outputWarningBytes: Int = 16 << 20,
      backgroundParseBytes: Int = 256 << 10, maximumBatch: Int = 10_000, checkedByHandler: Set<String> = []
    ) {
      self.framingMode = framingMode
      self.maximumMessageBytes = maximumMessageBytes
      self.outputWarningBytes = outputWarningBytes
      self.backgroundParseBytes = backgroundParseBytes
      self.maximumBatch = maximumBatch
      self.checkedByHandler = checkedByHandler
    }
  }

  private let inputFD: Int32
  private let configuration: Configuration
  private let logger: Logger
  /// The writer all output goes through.
  public let writer: OutputWriter
  private let inFlight = Locked<[RequestID: Reply]>([:])
  /// Requests received and not yet answered.
  private let unanswered = ActivityCounter()
  private let inputState = Locked<InputState>(InputState())
  private let inputClosed = Latch<Void>()
  private let pipeline = InputPipeline()

  private struct InputState {
    var framing: Framing?
    var stopped = false
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
    await inputClosed.wait()
  }

  /// Stops handling input: everything read from now on, and every message not yet handed to
  /// the handler, is dropped (a graceful shutdown).
  public func stopReading() {
    inputState.withLock { $0.stopped = true }
    pipeline.discardQueued()
  }

  private var isStopped: Bool { inputState.withLock { $0.stopped } }

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

  /// Suspends until no request is in flight (every request received so far has its answer).
  public func waitUntilRequestsAnswered() async {
    await unanswered.waitUntilIdle()
  }

  // MARK: - Reading

  private func readLoop(handler: some MessageHandler) {
    var decoder = FrameDecoder(mode: configuration.framingMode, maximumMessageBytes: configuration.maximumMessageBytes)
    var events: [FrameEvent] = []
    // A quarter of the pipe buffer `serve` asks for: a few more reads of a large message, and
    // far fewer fresh pages touched by the first one.
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
    defer { chunk.deallocate() }
    var atStart = true
    while true {
      guard let count = FileDescriptorIO.read(inputFD, into: chunk) else {
        logger.error("Reading input failed; treating it as closed.")
        break
      }
      if count == 0 { break }
      if isStopped { continue }
      var bytes = UnsafeBufferPointer(rebasing: chunk.bindMemory(to: UInt8.self)[0..<count])
      if atStart {
        // A UTF-8 byte order mark before the first frame is not part of the stream.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = UnsafeBufferPointer(rebasing: bytes[3...]) }
        atStart = bytes.isEmpty
      }
      decoder.feed(bytes, into: &events)
      if let detected = decoder.framing, framing == nil {
        writer.framing = detected
        inputState.withLock { $0.framing = detected }
        logger.debug("Input framing detected: \(detected.rawValue)")
      }
      for event in events {
        switch event {
        case .message(let body): receive(body: body, handler: handler)
        case .error(let error):
          logger.warning("Bad frame: \(error.message)")
          writer.enqueue(OutgoingMessage.response(id: error.requestID ?? .null, error: error.responseError))
        }
      }
      events.removeAll(keepingCapacity: true)
    }
    pipeline.enqueue(.endOfInput)
    drain(handler: handler)
  }

  /// Takes one message body off the wire: small bodies are read here, large ones on a
  /// background task; either way the message joins the pipeline in arrival order. Reading
  /// classifies the envelope and checks `params` against the grammar, leaving it as bytes.
  func receive(body: [UInt8], handler: some MessageHandler) {
    guard body.count >= configuration.backgroundParseBytes else {
      let decoded: DecodedBody
      do {
        decoded = try DecodedBody(body, maximumBatch: configuration.maximumBatch)
      } catch {
        // Answered in arrival order: behind a large message still being read, it waits its turn.
        if pipeline.isEmpty {
          logger.warning("Malformed JSON: \(error)")
          writer.enqueue(OutgoingMessage.response(id: .null, error: .parseError("Parse error: \(error).")))
        } else {
          pipeline.enqueue(.malformed(String(describing: error)))
          drain(handler: handler)
        }
        return
      }
      if pipeline.isEmpty || Self.isUrgent(decoded) {
        dispatch(decoded, handler: handler)
      } else {
        pipeline.enqueue(.decoded(decoded))
        drain(handler: handler)
      }
      return
    }
    let ticket = pipeline.enqueue(.parsing(id: RequestIDSniffer.sniff(body[...])))
    Task.detached { [self] in
      switch Result(catching: { () throws(JSONParseError) -> DecodedBody in
        try DecodedBody(body, maximumBatch: configuration.maximumBatch, checkedByHandler: configuration.checkedByHandler)
      }) {
      case .success(let decoded): pipeline.complete(ticket, with: .decoded(decoded))
      case .failure(let error): pipeline.complete(ticket, with: .malformed(String(describing: error)))
      }
      drain(handler: handler)
    }
  }

  /// Messages that never wait behind others: a `ping` (a supervisor's liveness check) and
  /// `$/cancelRequest` (which must reach what is queued).
  private static func isUrgent(_ decoded: DecodedBody) -> Bool {
    guard case .message(let message) = decoded, let method = message.method else { return false }
    return method == "ping" || method == "$/cancelRequest"
  }

  /// Hands ready messages to the handler in order; one caller at a time does it.
  private func drain(handler: some MessageHandler) {
    while let item = pipeline.takeReady() {
      switch item {
      case .decoded(let decoded):
        dispatch(decoded, handler: handler)
      case .cancelled(let id):
        logger.debug("Request \(id) was cancelled before it was handled.")
        writer.enqueue(OutgoingMessage.response(id: id, error: .requestCancelled))
      case .malformed(let reason):
        logger.warning("Malformed JSON: \(reason)")
        writer.enqueue(OutgoingMessage.response(id: .null, error: .parseError("Parse error: \(reason).")))
      case .endOfInput:
        handler.inputClosed()
        inputClosed.set(())
      case .parsing:
        break
      }
      if let id = pipeline.finishedOne() {
        // Cancelled while it was being handed over: by now it is in flight (or answered).
        inFlight.withLock { $0[id] }?.cancel()
      }
    }
  }

  /// Routes one message (or batch). Internal so tests and the fuzzer can drive it directly.
  func dispatch(_ decoded: DecodedBody, handler: some MessageHandler) {
    guard !isStopped else { return }
    let messages: [IncomingMessage]
    switch decoded {
    case .message(let message):
      route(message, handler: handler) { reply, bytes in
        self.writer.enqueue(bytes)
        reply?.markDelivered()
      }
      return
    case .batch(let batch):
      messages = batch
    case .oversizedBatch(let count, let limit):
      logger.warning("Refused a batch of \(count) messages (the limit is \(limit)).")
      writer.enqueue(
        OutgoingMessage.response(
          id: .null,
          error: .invalidRequest("A batch of \(count) messages exceeds the limit of \(limit); send at most \(limit) at once.")))
      return
    }
    defer { if messages.count > 1000 { releaseLater(messages) } }
    guard !messages.isEmpty else {
      writer.enqueue(OutgoingMessage.response(id: .null, error: .invalidRequest("An empty batch is not a valid request.")))
      return
    }
    // One log line for the batch, not one per element.
    let invalid = messages.count { if case .invalid = $0 { true } else { false } }
    if invalid > 0 { logger.warning("A batch of \(messages.count) holds \(invalid) invalid messages.") }
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

  /// Reads and routes one message body on the calling thread (tests and the fuzzer).
  func dispatch(body: [UInt8], handler: some MessageHandler) {
    do {
      dispatch(try DecodedBody(body, maximumBatch: configuration.maximumBatch), handler: handler)
    } catch {
      writer.enqueue(OutgoingMessage.response(id: .null, error: .parseError("Parse error: \(error).")))
    }
  }

  /// Releases a large parsed batch on a background queue, so freeing a big tree does not
  /// delay reading the next message (or compete with the work that message started).
  private func releaseLater(_ elements: [IncomingMessage]) {
    DispatchQueue.global(qos: .background).asyncAfter(deadline: .now() + .milliseconds(200)) {
      withExtendedLifetime(elements) {}
    }
  }

  private func route(
    _ message: IncomingMessage, handler: some MessageHandler, collector: BatchCollector? = nil,
    deliver: @escaping @Sendable (Reply?, [UInt8]) -> Void
  ) {
    switch message {
    case .invalid(let id, let error):
      if collector == nil { logger.warning("Invalid request: \(error.message)") }
      deliver(nil, OutgoingMessage.response(id: id, error: error))
    case .response(let id):
      logger.debug("Ignoring a response to id \(id): this engine sends no requests.")
    case .notification(let notification):
      if notification.method == "$/cancelRequest" {
        cancelRequest(notification.rawParams)
      } else {
        handler.handle(notification)
      }
    case .request(let request):
      unanswered.enter()
      let reply = Reply(id: request.id, method: request.method) { [weak self] reply, bytes in
        self?.inFlight.withLock { inFlight in
          if inFlight[reply.id] === reply { inFlight[reply.id] = nil }
        }
        deliver(reply, bytes)
        self?.unanswered.leave()
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

  private func cancelRequest(_ params: MessageParams?) {
    // Read from the bytes when there are some, so a number id keeps its exact text.
    let exact = params.flatMap { params -> RequestID? in
      guard case .raw(let raw) = params else { return nil }
      return RequestIDSniffer.sniff(raw.bytes[raw.range])
    }
    let reader = try? ParamsReader(params?.value, positionalNames: ["id"])
    guard let id = exact ?? reader?.object["id"].flatMap(RequestID.init) else {
      logger.warning("Ignoring '$/cancelRequest' without a valid 'id'.")
      return
    }
    // The queue first: a request taken from it is registered in flight before the hand-over
    // ends, so checking in this order leaves no moment where the cancel finds neither.
    if pipeline.cancelQueued(id) {
      logger.debug("Cancelling request \(id) before it is handled.")
    } else if let reply = inFlight.withLock({ $0[id] }) {
      logger.debug("Cancelling request \(id) ('\(reply.method)').")
      reply.cancel()
    } else if pipeline.cancelWhenParsed(id) {
      logger.debug("Cancelling request \(id) if it is the large message still being read.")
    } else {
      logger.debug("'$/cancelRequest' for id \(id), which is not in flight.")
    }
  }
}
