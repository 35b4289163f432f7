import FlowExecution
import FlowGraph
import FlowImages
import FlowNodes
import FlowPersistence
import FlowProviders
import JSON
import JSONRPC
import Logging
import Signals

/// The flowrunner JSON-RPC server: the lifecycle of `initialize` … `exit` and the methods, on
/// top of a ``Connection``. Every wire shape is in the `Codec` folder; this type only decides
/// and delegates.
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
    /// A graceful stop (a signal) is under way.
    var terminating = false
    /// Provider replies by input hash, made at `initialize` unless `cache.enabled` is false.
    var cache: ResponseCache?
    /// The database shared with other engine processes, when `shared_state.postgres_url` is set.
    var sharedState: PostgresSharedState?
  }

  /// The notifications this server accepts from the client.
  public static let clientNotifications = ClientNotification.all

  /// What happens to live runs when the input ends.
  public enum EndOfInputPolicy: String, Sendable, CaseIterable {
    /// Live runs are cancelled (the default): the client is gone.
    case cancel
    /// Live runs finish and their notifications are written, then the process exits: for
    /// scripted harnesses that pipe a request file in.
    case drain
  }

  let connection: Connection
  let logger: Logger
  private let state: Locked<State>
  /// The process's exit code, once it is decided.
  private let exitCode = Latch<Int32>()
  private let kits: NodeKits
  private let maxMessageBytes: Int
  private let endOfInput: EndOfInputPolicy
  /// `execution.start` requests accepted and not yet answered: `shutdown` and the end of input
  /// wait for them, so a start sent before either still runs (and is then cancelled).
  private let startsInProgress = ActivityCounter()
  /// The runs of this connection.
  public let runs: RunManager
  /// The run journal, once `initialize` has opened one.
  let journal = JournalSlot()
  /// Provider clients by their settings: the connection's and every run's own keys.
  let clientRegistry = ProviderClientRegistry()
  /// Quota counters: in the process, or shared through `shared_state.postgres_url` (set at
  /// `initialize`).
  private let ledger = Locked<any QuotaLedger>(LocalQuotaLedger())
  var quotaLedger: any QuotaLedger { ledger.withLock { $0 } }

  /// A server on a connection, with the settings from the environment and the config file.
  public init(
    connection: Connection, baseSettings: EngineSettings, logger: Logger, kits: NodeKits = .standard,
    maxMessageBytes: Int = Connection.Configuration().maximumMessageBytes, onEndOfInput: EndOfInputPolicy = .cancel
  ) {
    self.endOfInput = onEndOfInput
    self.connection = connection
    self.logger = logger
    self.kits = kits
    self.maxMessageBytes = maxMessageBytes
    self.state = Locked(State(settings: baseSettings))
    self.runs = RunManager(
      executors: kits.executors, sink: ConnectionEventSink(connection: connection, journal: journal))
    runs.rememberedBytesLimit = baseSettings.limits.maxRememberedBytes ?? LimitsSettings.defaultRememberedBytes
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
    await exitCode.wait()
  }

  /// The settings in effect for this connection.
  public var settings: EngineSettings { state.withLock { $0.settings } }

  /// What runs of this connection use to call providers.
  var services: ExecutionServices {
    state.withLock { state in
      kits.services(
        providers: state.settings.providers, modelDefaults: state.settings.modelDefaults, clients: state.clients,
        limits: state.settings.limits.runLimits, cache: state.cache, images: state.settings.images.imageSettings)
    }
  }

  // MARK: - MessageHandler

  /// The methods whose decoders check their params against the grammar as they read them:
  /// give them to the connection (``Connection/Configuration/checkedByHandler``) so a large
  /// flow's bytes are gone through once.
  public static let methodsCheckingTheirParams: Set<String> = [ExecutionStartMethod.method, FlowValidateMethod.method]

  public func handle(_ request: Request, reply: Reply) {
    let phase = state.withLock { $0.phase }
    if request.method == PingMethod.method {
      reply.succeed(PingMethod.encode(()))
      return
    }
    switch phase {
    case .uninitialized:
      guard request.method == InitializeMethod.method else {
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
    case InitializeMethod.method:
      throw .invalidRequest("'initialize' was already received on this connection.")
    case ShutdownMethod.method:
      _ = try ShutdownMethod.decode(request.rawParams)
      state.withLock { $0.phase = .shutDown }
      logger.info("Shutdown requested; cancelling every live run.")
      reply.run { [runs, startsInProgress] in
        await startsInProgress.waitUntilIdle()
        runs.stopAccepting()
        await runs.cancelAll()
        return ShutdownMethod.encode(())
      }
    case ProvidersListMethod.method:
      _ = try ProvidersListMethod.decode(request.rawParams)
      reply.succeed(ProvidersListMethod.encode(settings.providers))
    case ExecutionStartMethod.method:
      startExecution(request, reply: reply)
    case ExecutionCancelMethod.method:
      let runID = try ExecutionCancelMethod.decode(request.rawParams)
      do {
        reply.succeed(ExecutionCancelMethod.encode((runID, try runs.cancel(runID))))
      } catch {
        throw error.responseError
      }
    case ExecutionStatusMethod.method:
      let runID = try ExecutionStatusMethod.decode(request.rawParams)
      do {
        reply.succeed(ExecutionStatusMethod.encode(try runs.status(runID)))
      } catch {
        throw error.responseError
      }
    case ExecutionListMethod.method:
      let params = try ExecutionListMethod.decode(request.rawParams)
      guard let journal = journal.journal, journal.isWorking else {
        reply.succeed(
          ExecutionListMethod.encode(runs.list(state: params.state, quotaKey: params.quotaKey, limit: params.limit)))
        return
      }
      // Live runs from memory, then the journal's, which has every ended run of this engine.
      reply.run { [runs] in
        let wantsLive = params.state == nil || params.state == .running
        let live = wantsLive ? runs.list(state: .running, quotaKey: params.quotaKey, limit: params.limit) : []
        let journaled = await journal.runs(
          state: params.state, quotaKey: params.quotaKey, limit: params.limit - live.count,
          excluding: Set(live.map(\.runID)))
        return ExecutionListMethod.encode(live + journaled)
      }
    case ExecutionEventsMethod.method:
      let params = try ExecutionEventsMethod.decode(request.rawParams)
      do {
        reply.succeed(
          ExecutionEventsMethod.encode(try runs.events(params.runID, afterSeq: params.afterSeq, limit: params.limit)))
      } catch {
        guard let journal = journal.journal else { throw error.responseError }
        reply.perform { reply throws(ResponseError) in
          guard let page = await journal.events(runID: params.runID, afterSeq: params.afterSeq, limit: params.limit)
          else { throw error.responseError }
          reply.succeed(ExecutionEventsMethod.encode(runID: params.runID, bodies: page.bodies, ended: page.ended))
        }
      }
    case FlowValidateMethod.method:
      // Decoding and validating a large flow takes a while: off the reader, cancellable.
      reply.perform { [kits] reply throws(ResponseError) in
        let flow = try await FlowValidateMethod.decodeConcurrently(request.rawParams)
        let result = FlowValidateMethod.encode(await kits.validateConcurrently(flow))
        if !Task.isCancelled { reply.succeed(result) }
      }
    case CacheStatsMethod.method:
      _ = try CacheStatsMethod.decode(request.rawParams)
      let cache = state.withLock { $0.cache }
      reply.run { CacheStatsMethod.encode((await cache?.stats(), cache?.persistent?.location, cache?.shared?.location)) }
    case CacheClearMethod.method:
      let nodeType = try CacheClearMethod.decode(request.rawParams)
      let cache = state.withLock { $0.cache }
      reply.run { CacheClearMethod.encode(await cache?.clear(nodeType: nodeType) ?? 0) }
    case QuotaStatusMethod.method:
      let key = try QuotaStatusMethod.decode(request.rawParams)
      let limits = settings.quotas?.limits(for: key)
      let quotaLedger = self.quotaLedger
      reply.run {
        QuotaStatusMethod.encode((key, await quotaLedger.usage(key), limits))
      }
    case NodesListMethod.method:
      _ = try NodesListMethod.decode(request.rawParams)
      reply.succeed(NodesListMethod.encode(kits.catalog))
    default:
      throw .methodNotFound(request.method)
    }
  }

  /// `execution.start`: decode and validate off the reader, answer the run id, and start the
  /// run once that answer is queued, so the response always precedes the run's first
  /// notification. A start cancelled by `$/cancelRequest` before its answer creates no run.
  private func startExecution(_ request: Request, reply: Reply) {
    let services = self.services
    let quotas = settings.quotas
    startsInProgress.enter()
    let quotaLedger = self.quotaLedger
    reply.perform { [kits, runs, logger, startsInProgress, journal, clientRegistry] reply throws(ResponseError) in
      defer { startsInProgress.leave() }
      let params = try await ExecutionStartMethod.decodeConcurrently(request.rawParams)
      if let runID = params.options.runID, let journal = journal.journal, await journal.contains(runID) {
        throw ExecutionStartMethod.error(.runIDInUse(runID))
      }
      let validation = await kits.validateConcurrently(params.flow)
      guard !Task.isCancelled else { return }
      let options = params.options
      var runServices = services
      // The run's own keys (never logged, echoed, journaled or in a cache key) get their own
      // clients, shared only with runs that use the same key.
      if !options.providers.settings.isEmpty {
        let providers = services.providers.overlaid(with: options.providers)
        runServices.providers = providers
        runServices.clients = ProviderClients(configuration: providers, registry: clientRegistry)
      }
      let limits = quotas?.limits(for: options.quotaKey)
      let quotaKey = options.quotaKey ?? ""
      let gate = RunGate(budget: options.budget, quotaKey: options.quotaKey, limits: limits, ledger: quotaLedger)
      if !gate.isOpen { runServices.gate = gate }
      var ticket: String?
      if let max = limits?.maxLiveRuns {
        do throws(QuotaDenial) {
          ticket = try await quotaLedger.acquireRun(quotaKey, max: max)
        } catch {
          throw QuotaStatusMethod.refusal(error, key: options.quotaKey)
        }
      }
      let prepared: RunManager.PreparedRun
      do throws(RunStartError) {
        prepared = try runs.prepare(validation, options: options, services: runServices)
      } catch {
        if let ticket { await quotaLedger.releaseRun(quotaKey, ticket: ticket) }
        throw ExecutionStartMethod.error(error)
      }
      if let key = options.quotaKey { journal.journal?.noteQuotaKey(key, for: prepared.runID) }
      guard reply.succeed(ExecutionStartMethod.encode(prepared.runID)) else {
        runs.discard(prepared)
        if let ticket { await quotaLedger.releaseRun(quotaKey, ticket: ticket) }
        return
      }
      logger.debug("Run \(prepared.runID) of flow '\(params.flow.flowID)' started.")
      reply.afterDelivery { runs.start(prepared) }
      if let ticket {
        // The live run's slot is the quota's until the run has ended.
        Task {
          await runs.waitUntilEnded(prepared.runID)
          await quotaLedger.releaseRun(quotaKey, ticket: ticket)
        }
      }
    }
  }

  private func initialize(_ request: Request, reply: Reply) {
    let params: InitializeMethod.Params
    do {
      params = try InitializeMethod.decode(request.rawParams)
    } catch {
      reply.fail(error)
      return
    }
    if params.clientName != nil || params.clientVersion != nil {
      logger.info("Client: \(params.clientName ?? "unnamed") \(params.clientVersion ?? "")")
    }
    let settings = state.withLock { $0.settings.overlaid(with: params.settings) }
    // The cache (and its file) before the phase changes: no run starts without it.
    var cache: ResponseCache?
    // The URL was checked when the settings were read.
    let sharedState = settings.sharedState.postgresURL.flatMap { try? PostgresSharedState(url: $0, logger: logger) }
    if settings.cache.enabled != false {
      let maxEntries = settings.cache.maxEntries ?? CacheSettings.defaultMaxEntries
      let persistent = settings.cache.path.flatMap { SQLiteCacheStore.open(path: $0, maxEntries: maxEntries, logger: logger) }
      let shared = sharedState.map { PostgresCacheStore(database: $0, maxEntries: maxEntries) }
      cache = ResponseCache(maxEntries: maxEntries, persistent: persistent, shared: shared)
    }
    journal.set(
      settings.journal.path.flatMap {
        RunJournal.open(path: $0, maxRuns: settings.journal.maxRuns ?? RunJournal.defaultMaxRuns, logger: logger)
      })
    // With a shared database, quota counters are the fleet's, not this process's.
    if let sharedState {
      let failsOpen = settings.quotas?.onStoreError != .closed
      ledger.withLock { $0 = PostgresQuotaLedger(database: sharedState, failsOpen: failsOpen) }
    }
    state.withLock { state in
      state.settings = settings
      state.clients = ProviderClients(configuration: settings.providers, registry: clientRegistry)
      state.cache = cache
      state.sharedState = sharedState
      state.phase = .running
    }
    runs.rememberedBytesLimit = settings.limits.maxRememberedBytes ?? LimitsSettings.defaultRememberedBytes
    reply.succeed(
      InitializeMethod.encode(
        .init(
          settings: settings, catalog: kits.catalog, framing: connection.framing ?? .lsp, maxMessageBytes: maxMessageBytes
        )))
  }

  public func handle(_ notification: Notification) {
    let phase = state.withLock { $0.phase }
    switch notification.method {
    case ClientNotification.exit:
      let code: Int32 = phase == .shutDown ? 0 : 1
      logger.info("Exit requested (code \(code)).")
      finish(exitCode: code)
    case ClientNotification.initialized:
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
    // A graceful stop already under way decides the exit (0), not the end of input behind it.
    guard !state.withLock({ $0.terminating }) else { return }
    Task { [self] in
      switch endOfInput {
      case .cancel:
        logger.info("Input closed; cancelling \(Self.liveRuns(runs.liveRunCount)) and stopping.")
        await stopRuns()
      case .drain:
        logger.info("Input closed; letting \(Self.liveRuns(runs.liveRunCount)) finish, then stopping.")
        await connection.waitUntilRequestsAnswered()
        runs.stopAccepting()
        await runs.waitUntilAllEnded()
      }
      let shutDown = state.withLock { $0.phase == .shutDown }
      finish(exitCode: shutDown ? 0 : 1)
    }
  }

  /// A graceful stop (SIGTERM, SIGINT): stop reading, cancel live runs, let their terminal
  /// notifications out, answer what is in flight, and exit 0.
  public func terminate() {
    logger.info("Terminating: cancelling \(Self.liveRuns(runs.liveRunCount)).")
    state.withLock { $0.terminating = true }
    connection.stopReading()
    Task { [self] in
      await stopRuns()
      finish(exitCode: 0)
    }
  }

  /// "1 live run", "3 live runs".
  static func liveRuns(_ count: Int) -> String { count == 1 ? "1 live run" : "\(count) live runs" }

  /// Starts no more runs, cancels the live ones and gives their terminal notifications up to
  /// half a second, then answers every request still in flight `-32800`.
  private func stopRuns() async {
    // The waiting is not cancellable (a start being validated, a node that ignores its
    // cancellation): it goes on in its own task, and this waits for it half a second at most.
    let stopped = Latch<Void>()
    Task { [runs, startsInProgress] in
      await startsInProgress.waitUntilIdle()
      runs.stopAccepting()
      await runs.cancelAll()
      stopped.set(())
    }
    _ = await stopped.wait(timeout: .milliseconds(500))
    runs.stopAccepting()
    connection.cancelAllRequests()
  }

  /// Writes what the journal still holds (waiting `timeout` at most) and closes the
  /// connections to the shared database.
  public func closePersistence(timeout: Duration) async {
    if let journal = journal.journal, !(await journal.flush(timeout: timeout)) {
      logger.warning("The journal file \(journal.location) did not finish writing in time; its last notifications are lost.")
    }
    (quotaLedger as? PostgresQuotaLedger)?.close()
    await state.withLock { $0.sharedState }?.close()
  }

  private func finish(exitCode code: Int32) {
    exitCode.set(code)
  }

}
