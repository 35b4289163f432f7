import FlowExecution
import FlowGraph
import FlowProviders
import JSONRPC
import Logging
import Synchronization

/// The flowrunner JSON-RPC server: the lifecycle of protocol.md §2 and the methods of §3, on top
/// of a ``Connection``.
///
/// Lifecycle decisions are made synchronously on the connection's reader thread, in arrival
/// order, so `initialize` followed at once by another request in the same write behaves exactly
/// as if they had arrived apart.
public final class FlowRunnerServer: MessageHandler {
  /// Where the lifecycle stands.
  enum Phase: Sendable {
    case uninitialized
    case running
    case shutDown
  }

  private struct State {
    var phase = Phase.uninitialized
    var settings: EngineSettings
    /// Provider clients for the settings in effect, made at `initialize`.
    var clients: ProviderClients?
    var exitCode: Int32?
    var exitWaiters: [CheckedContinuation<Int32, Never>] = []
  }

  /// The methods this server answers, as listed in `initialize` capabilities.
  public static let methods = [
    "initialize", "shutdown", "ping", "execution.start", "execution.cancel", "execution.status", "flow.validate",
    "nodes.list", "providers.list",
  ]
  /// The notifications this server accepts from the client.
  public static let clientNotifications = ["initialized", "exit", "$/cancelRequest"]

  let connection: Connection
  let logger: Logger
  private let state: Mutex<State>
  /// The runs of this connection.
  public let runs: RunManager

  /// A server on a connection, with the settings from the environment and the config file.
  public init(
    connection: Connection, baseSettings: EngineSettings, logger: Logger, executors: ExecutorRegistry = .standard
  ) {
    self.connection = connection
    self.logger = logger
    self.state = Mutex(State(settings: baseSettings))
    self.runs = RunManager(executors: executors, sink: ConnectionEventSink(connection: connection))
  }

  /// Starts reading and suspends until the process should exit; returns the exit code
  /// (0 after `shutdown`, 1 otherwise).
  public func run() async -> Int32 {
    start()
    return await waitForExit()
  }

  /// Starts reading the connection's input.
  public func start() {
    connection.start(handler: self)
  }

  /// Suspends until the process should exit and returns the exit code.
  public func waitForExit() async -> Int32 {
    await withCheckedContinuation { continuation in
      let code = state.withLock { state -> Int32? in
        if let code = state.exitCode { return code }
        state.exitWaiters.append(continuation)
        return nil
      }
      if let code { continuation.resume(returning: code) }
    }
  }

  /// The settings in effect for this connection.
  public var settings: EngineSettings { state.withLock { $0.settings } }

  /// What runs of this connection use to call providers.
  var services: ExecutionServices {
    state.withLock { state in
      ExecutionServices(
        providers: state.settings.providers, modelDefaults: state.settings.modelDefaults, clients: state.clients)
    }
  }

  // MARK: - MessageHandler

  public func handle(_ request: Request, reply: Reply) {
    let phase = state.withLock { $0.phase }
    if request.method == "ping" {
      reply.succeed(.object([:]))
      return
    }
    switch phase {
    case .uninitialized:
      guard request.method == "initialize" else {
        reply.fail(.serverNotInitialized(request.method))
        return
      }
      initialize(request, reply: reply)
    case .shutDown:
      reply.fail(.invalidRequest("The server is shut down; only 'ping' and the 'exit' notification are accepted."))
    case .running:
      do {
        try handleRunning(request, reply: reply)
      } catch {
        reply.fail(error)
      }
    }
  }

  private func handleRunning(_ request: Request, reply: Reply) throws(ResponseError) {
    switch request.method {
    case "initialize":
      throw .invalidRequest("'initialize' was already received on this connection.")
    case "shutdown":
      _ = try ParamsReader(request.params)
      state.withLock { $0.phase = .shutDown }
      logger.info("Shutdown requested; cancelling \(runs.liveRunCount) live runs.")
      reply.run { [runs] in
        await runs.cancelAll()
        return .null
      }
    case "providers.list":
      _ = try ParamsReader(request.params)
      reply.succeed(["providers": settings.providers.providerList()])
    case "execution.start":
      try startExecution(request, reply: reply)
    case "execution.cancel":
      let runID = try ParamsReader(request.params, positionalNames: ["run_id"]).requiredString("run_id")
      guard let cancelled = runs.cancel(runID) else { throw Self.unknownRun(runID) }
      reply.succeed(["run_id": .string(runID), "cancelled": .bool(cancelled)])
    case "execution.status":
      let runID = try ParamsReader(request.params, positionalNames: ["run_id"]).requiredString("run_id")
      guard let status = runs.status(runID) else { throw Self.unknownRun(runID) }
      reply.succeed(status)
    case "flow.validate":
      let validation = try Self.validate(ParamsReader(request.params))
      reply.succeed(validation.resultJSON)
    case "nodes.list":
      _ = try ParamsReader(request.params)
      reply.succeed(["node_types": .array(NodeCatalog.all.map(\.json))])
    default:
      throw .methodNotFound(request.method)
    }
  }

  private func initialize(_ request: Request, reply: Reply) {
    let clientSettings: EngineSettings
    do {
      let reader = try ParamsReader(request.params, positionalNames: EngineSettings.memberNames)
      clientSettings = try EngineSettings(reading: reader)
      if let client = try reader.object("client_info") {
        let name = try client.string("name") ?? "unnamed"
        let version = try client.string("version") ?? ""
        logger.info("Client: \(name) \(version)")
      }
    } catch {
      reply.fail(error)
      return
    }
    let settings = state.withLock { state in
      state.settings = state.settings.overlaid(with: clientSettings)
      state.clients = ProviderClients(configuration: state.settings.providers)
      state.phase = .running
      return state.settings
    }
    reply.succeed(initializeResult(settings: settings))
  }

  private func initializeResult(settings: EngineSettings) -> JSONValue {
    [
      "server_info": ["name": .string(ServerInfo.name), "version": .string(ServerInfo.version)],
      "protocol_version": .string(ServerInfo.protocolVersion),
      "capabilities": [
        "methods": .array(Self.methods.map(JSONValue.string)),
        "notifications": .array(RunEventEncoder.methods.map(JSONValue.string)),
        "node_types": .array(NodeCatalog.typeNames.map(JSONValue.string)),
        "providers": settings.providers.providerList(),
        "streaming": true,
        "framing": .string((connection.framing ?? .lsp).rawValue),
      ],
    ]
  }

  public func handle(_ notification: Notification) {
    let phase = state.withLock { $0.phase }
    switch notification.method {
    case "exit":
      let code: Int32 = phase == .shutDown ? 0 : 1
      logger.info("Exit requested (code \(code)).")
      finish(exitCode: code)
    case "initialized":
      break
    default:
      if phase == .uninitialized {
        logger.debug("Dropping notification '\(notification.method)' received before 'initialize'.")
      } else {
        logger.debug("Ignoring unknown notification '\(notification.method)'.")
      }
    }
  }

  public func inputClosed() {
    logger.info("Input closed; cancelling \(runs.liveRunCount) live runs and stopping.")
    Task { [runs, connection] in
      // Give the runs' terminal notifications a moment to go out, but exit within the second.
      await withTaskGroup(of: Void.self) { group in
        group.addTask { await runs.cancelAll() }
        group.addTask { try? await Task.sleep(for: .milliseconds(500)) }
        await group.next()
        group.cancelAll()
      }
      connection.cancelAllRequests()
      let shutDown = state.withLock { $0.phase == .shutDown }
      finish(exitCode: shutDown ? 0 : 1)
    }
  }

  private func finish(exitCode: Int32) {
    let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
      guard state.exitCode == nil else { return [] }
      state.exitCode = exitCode
      defer { state.exitWaiters = [] }
      return state.exitWaiters
    }
    for waiter in waiters { waiter.resume(returning: exitCode) }
  }
}
