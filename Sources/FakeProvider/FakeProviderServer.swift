import JSON
import NIOCore
import NIOHTTP1
import NIOPosix
import Signals

/// A fake of the providers' HTTP APIs on 127.0.0.1, for tests, benchmarks and demos.
///
/// The first path component names the provider (`/mistral/v1/chat/completions`,
/// `/claude/v1/messages`), which decides the wire format and the error bodies. Each request
/// takes the next scripted ``FakeBehavior`` for its provider (by default: a short reply). The
/// server records every request and counts clients that hang up before their answer is complete.
public final class FakeProviderServer: Sendable {
  private struct State {
    var scripts: [String: [FakeBehavior]] = [:]
    var requests: [RecordedRequest] = []
    var connections = 0
    var disconnects = 0
    var completed = 0
    var inFlight = 0
    var peakInFlight = 0
    /// Images served at `/files/<name>` (CogView's temporary URLs).
    var files: [String: [UInt8]] = [:]
  }

  /// What a request without a script or markers gets.
  public struct Defaults: Sendable {
    /// Delay before every response head.
    public var latencyMilliseconds: Int
    /// Delay between streamed chunks.
    public var chunkDelayMilliseconds: Int

    /// Defaults: answer at once.
    public init(latencyMilliseconds: Int = 0, chunkDelayMilliseconds: Int = 0) {
      self.latencyMilliseconds = latencyMilliseconds
      self.chunkDelayMilliseconds = chunkDelayMilliseconds
    }
  }

  private let state = Locked(State())
  private let defaults: Defaults
  /// Moves on with every request and disconnect, for tests that wait for them.
  private let changes = ChangeSignal()
  private let channel: any Channel
  /// The port it listens on.
  public let port: Int

  private init(channel: any Channel, port: Int, defaults: Defaults) {
    self.channel = channel
    self.port = port
    self.defaults = defaults
  }

  /// Starts a server on 127.0.0.1, on `port` or (0) a free one.
  public static func start(port: Int = 0, defaults: Defaults = Defaults()) async throws -> FakeProviderServer {
    let box = ServerBox()
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .serverChannelOption(.backlog, value: 256)
      .childChannelInitializer { channel in
        box.server.withLock { $0 }?.noteConnection()
        return channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandler(FakeRequestHandler(server: box))
        }
      }
      .bind(host: "127.0.0.1", port: port).get()
    let server = FakeProviderServer(channel: channel, port: channel.localAddress?.port ?? 0, defaults: defaults)
    box.server.withLock { $0 = server }
    return server
  }

  /// The base URL to configure for a provider (what `*_BASE_URL` would hold).
  public func baseURL(for provider: String) -> String {
    provider == "claude" ? "http://127.0.0.1:\(port)/claude" : "http://127.0.0.1:\(port)/\(provider)/v1"
  }

  /// Queues behaviors for the next requests to a provider.
  public func script(_ provider: String, _ behaviors: FakeBehavior...) {
    state.withLock { $0.scripts[provider, default: []] += behaviors }
  }

  /// Every request received, in order.
  public var requests: [RecordedRequest] { state.withLock { $0.requests } }
  /// TCP connections accepted, whether or not a request followed.
  public var connections: Int { state.withLock { $0.connections } }
  /// Connections the client closed before its answer was complete.
  public var disconnects: Int { state.withLock { $0.disconnects } }
  /// Answers sent completely.
  public var completedResponses: Int { state.withLock { $0.completed } }
  /// The most requests that were being answered at once.
  public var peakConcurrentRequests: Int { state.withLock { $0.peakInFlight } }

  /// Suspends until `condition` holds for (requests received, disconnects seen), or `timeout`
  /// passes; returns whether it holds.
  @discardableResult
  public func wait(
    timeout: Duration = .seconds(10), until condition: (_ requests: Int, _ disconnects: Int) -> Bool
  ) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
      let seen = changes.version
      if state.withLock({ condition($0.requests.count, $0.disconnects) }) { return true }
      guard await changes.wait(changedFrom: seen, until: deadline) else { return false }
    }
  }

  /// Stops listening.
  public func stop() async {
    try? await channel.close()
  }

  func take(_ request: RecordedRequest) -> FakeBehavior {
    state.withLock { state in
      state.requests.append(request)
      state.inFlight += 1
      state.peakInFlight = max(state.peakInFlight, state.inFlight)
      defer { changes.notify() }
      if var queue = state.scripts[request.provider], !queue.isEmpty {
        let next = queue.removeFirst()
        state.scripts[request.provider] = queue
        return next
      }
      return FakeMarkers.behavior(for: request, provider: request.provider, defaults: defaults)
    }
  }

  /// Keeps `bytes` to serve at `/files/<name>`; returns the URL.
  func storeFile(_ bytes: [UInt8], name: String) -> String {
    state.withLock { $0.files[name] = bytes }
    return "http://127.0.0.1:\(port)/files/\(name)"
  }

  /// The bytes served at `/files/<name>` (the request counts as in flight until answered).
  func file(_ name: String) -> [UInt8]? {
    state.withLock { state in
      state.inFlight += 1
      return state.files[name]
    }
  }

  func noteConnection() {
    state.withLock { $0.connections += 1 }
  }

  func noteDisconnect() {
    state.withLock {
      $0.disconnects += 1
      $0.inFlight -= 1
    }
    changes.notify()
  }

  func noteClosed() { state.withLock { $0.inFlight -= 1 } }

  func noteCompleted() {
    state.withLock {
      $0.completed += 1
      $0.inFlight -= 1
    }
  }
}

/// Lets handlers reach the server, which exists only once the bootstrap has bound.
final class ServerBox: Sendable {
  let server = Locked<FakeProviderServer?>(nil)
}

/// One step of an answer.
enum ResponseStep {
  case head(status: Int, headers: [(String, String)])
  case body(String)
  case bytes([UInt8])
  case end
  case close
}

final class FakeRequestHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let box: ServerBox
  private var head: HTTPRequestHead?
  private var body: [UInt8] = []
  private var answering = false
  private var finished = true

  init(server: ServerBox) { self.box = server }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let requestHead):
      head = requestHead
      body = []
    case .body(let buffer):
      body.append(contentsOf: buffer.readableBytesView)
    case .end:
      guard let head, let server = box.server.withLock({ $0 }) else { return }
      if head.method == .GET, head.uri.hasPrefix("/files/") {
        // A generated image's temporary URL: served without recording a provider request.
        answering = true
        finished = false
        let name = String(head.uri.dropFirst("/files/".count))
        let steps: [ResponseStep] =
          server.file(name).map { [.head(status: 200, headers: [("content-type", "image/png")]), .bytes($0), .end] }
          ?? [.head(status: 404, headers: [("content-type", "text/plain")]), .body("no such file\n"), .end]
        run(steps, behavior: FakeBehavior(.reply("")), context: context, server: server)
        return
      }
      let provider = head.uri.split(separator: "/").first.map(String.init) ?? ""
      let request = RecordedRequest(
        provider: provider, method: head.method.rawValue, path: head.uri,
        headers: head.headers.map { (name: $0.name.lowercased(), value: $0.value) }, body: body)
      let behavior = server.take(request)
      answering = true
      finished = false
      let credential =
        head.headers.first(name: "authorization") ?? head.headers.first(name: "x-api-key").map { "x-api-key: \($0)" } ?? ""
      var steps = Self.steps(for: behavior, provider: provider, requestBody: body, credential: credential)
      if case .reply = behavior.outcome, FakeImages.isImageRequest(path: head.uri) {
        steps = FakeImages.steps(provider: provider, requestBody: body, server: server)
      }
      run(steps, behavior: behavior, context: context, server: server)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    if answering, !finished { box.server.withLock { $0 }?.noteDisconnect() }
    answering = false
    context.fireChannelInactive()
  }

  private func run(_ steps: [ResponseStep], behavior: FakeBehavior, context: ChannelHandlerContext, server: FakeProviderServer) {
    continueWith(steps[...], delay: behavior.latencyMilliseconds, context: context, server: server, behavior: behavior)
  }

  private func continueWith(
    _ steps: ArraySlice<ResponseStep>, delay: Int, context: ChannelHandlerContext, server: FakeProviderServer,
    behavior: FakeBehavior
  ) {
    guard let step = steps.first else { return }
    let rest = steps.dropFirst()
    let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
    let loopSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
    let stepBox = NIOLoopBound((step, rest), eventLoop: context.eventLoop)
    context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) {
      let context = loopContext.value
      let handler = loopSelf.value
      let (step, rest) = stepBox.value
      guard context.channel.isActive else { return }
      switch step {
      case .head(let status, let headers):
        var responseHead = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status))
        for (name, value) in headers { responseHead.headers.add(name: name, value: value) }
        context.writeAndFlush(handler.wrapOutboundOut(.head(responseHead)), promise: nil)
      case .body(let text):
        context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
      case .bytes(let bytes):
        context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
      case .end:
        handler.finished = true
        server.noteCompleted()
        context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
      case .close:
        handler.finished = true
        server.noteClosed()
        // Shut the output down first: that sends the FIN whoever else holds the descriptor (a
        // process spawned meanwhile inherits it, NIO's sockets are not close-on-exec), where a
        // plain close only drops this process's reference and the client would wait for an
        // answer until its timeout.
        context.close(mode: .output, promise: nil)
        context.close(promise: nil)
      }
      let nextDelay: Int
      if case .body = step { nextDelay = behavior.chunkDelayMilliseconds } else { nextDelay = 0 }
      handler.continueWith(rest, delay: nextDelay, context: context, server: server, behavior: behavior)
    }
  }

  /// The steps of an answer.
  static func steps(
    for behavior: FakeBehavior, provider: String, requestBody: [UInt8], credential: String = ""
  ) -> [ResponseStep] {
    let json = try? JSONParser.parse(requestBody)
    let stream = json?["stream"] == true
    let model = json?["model"]?.stringValue ?? "fake-model"
    let sse = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
    let jsonType = [("content-type", "application/json")]
    func chunks(_ text: String) -> [String] {
      var pieces: [String] = []
      var current = text[...]
      while !current.isEmpty {
        pieces.append(String(current.prefix(behavior.chunkSize)))
        current = current.dropFirst(behavior.chunkSize)
      }
      return pieces
    }
    let sampleText = "Streaming text that the fake provider sends in chunks."
    switch behavior.outcome {
    case .reply(let text):
      let asStream: Bool
      switch behavior.bodyShape {
      case .asRequested: asStream = stream
      case .wholeJSON: asStream = false
      case .eventStream: asStream = true
      }
      guard asStream else {
        let body = ProviderDialect.completion(provider: provider, model: model, text: text, usage: behavior.reportsUsage)
        return [.head(status: 200, headers: jsonType), .body(body), .end]
      }
      let usage = behavior.reportsUsage && ProviderDialect.streamsUsage(provider: provider, request: json)
      let end = ProviderDialect.streamEnd(provider: provider, outputTokens: text.split(separator: " ").count, usage: usage)
      return [.head(status: 200, headers: sse)]
        + ProviderDialect.streamStart(provider: provider, model: model, usage: usage).map(ResponseStep.body)
        + chunks(text).map { .body(ProviderDialect.streamText(provider: provider, $0)) } + end.map(ResponseStep.body)
        + [.end]
    case .error(let status, let retryAfter):
      var headers = jsonType
      if let retryAfter { headers.append(("retry-after", retryAfter)) }
      return [
        .head(status: status, headers: headers), .body(ProviderDialect.errorBody(provider: provider, status: status)), .end,
      ]
    case .echoCredential(let status):
      return [
        .head(status: status, headers: [("content-type", "text/plain")]),
        .body("Unauthorized request. Received: \(credential)\n"), .end,
      ]
    case .endlessLine(let bytes):
      let piece = String(repeating: "x", count: 64 << 10)
      return [.head(status: 200, headers: sse), .body("data: ")]
        + Array(repeating: ResponseStep.body(piece), count: max(1, bytes / piece.utf8.count)) + [.end]
    case .malformedJSON:
      guard stream else { return [.head(status: 200, headers: jsonType), .body("{\"choices\": [ not json"), .end] }
      return [.head(status: 200, headers: sse), .body("data: {not json\n\n"), .end]
    case .truncatedStream(let count):
      return [.head(status: 200, headers: sse)]
        + ProviderDialect.streamStart(provider: provider, model: model).map(ResponseStep.body)
        + chunks(sampleText).prefix(count).map { .body(ProviderDialect.streamText(provider: provider, $0)) } + [.end]
    case .midStreamError(let count):
      return [.head(status: 200, headers: sse)]
        + ProviderDialect.streamStart(provider: provider, model: model).map(ResponseStep.body)
        + chunks(sampleText).prefix(count).map { .body(ProviderDialect.streamText(provider: provider, $0)) }
        + [.body(ProviderDialect.streamError(provider: provider)), .end]
    case .reset:
      return [.close]
    case .stall:
      return stream
        ? [.head(status: 200, headers: sse)]
          + ProviderDialect.streamStart(provider: provider, model: model).map(ResponseStep.body) : []
    }
  }
}
