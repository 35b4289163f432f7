import FlowGraph
import Signals

/// Owns every run of one engine: starts them, cancels them, answers status, and keeps the last
/// ended runs queryable.
public final class RunManager: Sendable {
  /// A run registered and ready to start (its id can be announced first).
  public struct PreparedRun: Sendable {
    /// The run's id.
    public let runID: String
    fileprivate let runner: FlowRunner
    fileprivate let record: RunRecord
  }

  private struct State {
    var live: [String: RunRecord] = [:]
    var ended: [String: RunRecord] = [:]
    var endedOrder: [String] = []
    /// Output bytes the remembered ended runs hold.
    var rememberedBytes = 0
    var rememberedLimit = 256 << 20
    var nextSerial = 1
    /// Counts every run registered, engine- or client-named, for `execution.list`'s order.
    var nextRecord = 0
    var accepting = true
  }

  private let executors: ExecutorRegistry
  private let sink: any RunNotificationSink
  private let retainedEndedRuns: Int
  private let state = Locked(State())
  private let idPrefix: String

  /// A manager that runs nodes with `executors` and sends events to `sink`.
  public init(executors: ExecutorRegistry, sink: any RunNotificationSink, retainedEndedRuns: Int = 100) {
    self.executors = executors
    self.sink = sink
    self.retainedEndedRuns = retainedEndedRuns
    self.idPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
  }

  /// Registers a run of a validated flow. Call ``start(_:)`` once its id has been announced.
  /// A flow with errors is rejected with every issue; `options.runID` (the client's choice,
  /// already checked for its form) must not belong to a live or remembered run.
  public func prepare(
    _ validation: FlowValidation, options: RunOptions, services: ExecutionServices = ExecutionServices()
  ) throws(RunStartError) -> PreparedRun {
    guard let plan = validation.plan else { throw .invalidFlow(validation.issues) }
    let index = validation.index
    let board = NodeStatusBoard(count: index.count)
    let nodeIDs = plan.nodes.map { index.flow.nodes[$0].id }
    var terminalOutputNodes: Set<String>?
    switch options.terminalOutputs {
    case .all: terminalOutputNodes = nil
    case .none: terminalOutputNodes = []
    case .sinks: terminalOutputNodes = Set(plan.nodes.filter { index.outgoing[$0].isEmpty }.map { index.flow.nodes[$0].id })
    }
    // The id is chosen, checked and taken under one lock: two starts never share one.
    let registered = state.withLock { state -> Result<(String, RunRecord), RunStartError> in
      guard state.accepting else { return .failure(.shuttingDown) }
      let runID: String
      if let chosenID = options.runID {
        guard state.live[chosenID] == nil, state.ended[chosenID] == nil else { return .failure(.runIDInUse(chosenID)) }
        runID = chosenID
      } else {
        var candidate: String
        repeat {
          candidate = "run-\(idPrefix)-\(state.nextSerial)"
          state.nextSerial += 1
        } while state.live[candidate] != nil || state.ended[candidate] != nil
        runID = candidate
      }
      state.nextRecord += 1
      let record = RunRecord(
        runID: runID, flowID: index.flow.flowID, nodeIDs: nodeIDs, nodeIndices: plan.nodes, board: board,
        serial: state.nextRecord, detail: options.events, terminalOutputNodes: terminalOutputNodes,
        quotaKey: options.quotaKey)
      state.live[runID] = record
      return .success((runID, record))
    }
    let (runID, record) = try registered.get()
    let recordingSink = RecordingSink(record: record, downstream: sink, onEnd: { [weak self] in self?.retire(runID) })
    let runner = FlowRunner(
      runID: runID, index: index, plan: plan, options: options, executors: executors, sink: recordingSink,
      statusBoard: board, services: services, claimEnd: { record.claimEnd() })
    return PreparedRun(runID: runID, runner: runner, record: record)
  }

  /// Starts a prepared run. Its timeout, if it has one, is a child task that ends with the run.
  public func start(_ prepared: PreparedRun) {
    let record = prepared.record
    let runner = prepared.runner
    let timeout = runner.options.timeoutSeconds.map(Duration.seconds)
    let task = Task {
      await withTaskGroup(of: Void.self) { group in
        if let timeout {
          group.addTask {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            record.stop(.timeout)
          }
        }
        await runner.run()
        group.cancelAll()
      }
    }
    record.attach(task)
  }

  /// Refuses every later ``prepare(_:options:services:)``: the engine is shutting down.
  public func stopAccepting() {
    state.withLock { $0.accepting = false }
  }

  /// Forgets a prepared run that will not start (its request was cancelled before the answer).
  public func discard(_ prepared: PreparedRun) {
    state.withLock { _ = $0.live.removeValue(forKey: prepared.runID) }
  }

  /// Suspends until every run that is live now has ended, without stopping any.
  public func waitUntilAllEnded() async {
    let live = state.withLock { Array($0.live.values) }
    for record in live { await record.waitUntilEnded() }
  }

  /// Cancels a run: `true` if it was live, `false` if it had already ended.
  public func cancel(_ runID: String) throws(RunLookupError) -> Bool {
    try record(runID).stop(.cancelled)
  }

  /// A run as `execution.status` reports it.
  public func status(_ runID: String) throws(RunLookupError) -> RunSnapshot {
    try record(runID).snapshot
  }

  /// Suspends until a run has emitted its terminal event (at once for an unknown run).
  public func waitUntilEnded(_ runID: String) async {
    await (try? record(runID))?.waitUntilEnded()
  }

  /// Cancels every live run and waits for the terminal events of those that have started. A
  /// run registered but not started yet (its start answer still waits in a batch) is stopped
  /// too and ends, cancelled, as soon as it starts; waiting for it could wait for the very
  /// answer this call holds up.
  public func cancelAll() async {
    let live = state.withLock { Array($0.live.values) }
    for record in live { record.stop(.cancelled) }
    for record in live where record.hasStarted { await record.waitUntilEnded() }
  }

  /// The number of live runs.
  public var liveRunCount: Int { state.withLock { $0.live.count } }

  private func record(_ runID: String) throws(RunLookupError) -> RunRecord {
    guard let record = state.withLock({ $0.live[runID] ?? $0.ended[runID] }) else { throw .unknownRun(runID) }
    return record
  }

  /// The most output bytes the remembered ended runs may hold together; the oldest are
  /// forgotten past it (and past ``retainedEndedRuns`` runs).
  public var rememberedBytesLimit: Int {
    get { state.withLock { $0.rememberedLimit } }
    set { state.withLock { $0.rememberedLimit = newValue } }
  }

  /// Live runs (most recent first), then remembered ended runs (most recently ended first),
  /// those in `state` (and of `quotaKey`) only when it is given, at most `limit`.
  public func list(state wanted: RunState? = nil, quotaKey: String? = nil, limit: Int = .max) -> [RunSummary] {
    let (live, ended) = state.withLock { state in
      (state.live.values.sorted { $0.serial > $1.serial }, state.endedOrder.reversed().compactMap { state.ended[$0] })
    }
    // A run whose terminal notification is out but which is not yet moved to the remembered
    // ones is listed as what it is: the most recently ended.
    let liveSummaries = live.map(\.summary)
    let running = liveSummaries.filter { $0.state == .running }
    let justEnded = liveSummaries.filter { $0.state != .running }
    var summaries: [RunSummary] = []
    for summary in running + justEnded
    where (wanted == nil || summary.state == wanted) && (quotaKey == nil || summary.quotaKey == quotaKey) {
      guard summaries.count < limit else { return summaries }
      summaries.append(summary)
    }
    for record in ended where summaries.count < limit {
      let summary = record.summary
      if (wanted == nil || summary.state == wanted) && (quotaKey == nil || summary.quotaKey == quotaKey) {
        summaries.append(summary)
      }
    }
    return summaries
  }

  /// A run's sent events with `seq` above `afterSeq`, at most `limit`.
  public func events(_ runID: String, afterSeq: Int, limit: Int) throws(RunLookupError) -> RunEventPage {
    let (events, ended) = try record(runID).events(afterSeq: afterSeq, limit: limit)
    return RunEventPage(runID: runID, events: events, ended: ended)
  }

  /// The bytes the remembered ended runs hold now (outputs and event logs).
  public var rememberedBytes: Int { state.withLock { $0.rememberedBytes } }

  private func retire(_ runID: String) {
    state.withLock { state in
      guard let record = state.live.removeValue(forKey: runID) else { return }
      state.ended[runID] = record
      state.endedOrder.append(runID)
      state.rememberedBytes += record.rememberedBytes
      while state.endedOrder.count > retainedEndedRuns
        || (state.rememberedBytes > state.rememberedLimit && state.endedOrder.count > 1)
      {
        let evicted = state.endedOrder.removeFirst()
        state.rememberedBytes -= state.ended.removeValue(forKey: evicted)?.rememberedBytes ?? 0
      }
    }
  }
}

/// Keeps a run's record current, then forwards the events it sends, numbered.
private struct RecordingSink: RunEventSink {
  let record: RunRecord
  let downstream: any RunNotificationSink
  let onEnd: @Sendable () -> Void

  func emit(runID: String, _ events: [RunEvent]) {
    // A terminal event is always the last of its batch.
    if let last = events.last { record.applyIfTerminal(last) }
    record.sequence(events) { downstream.send(runID: runID, $0) }
    guard events.last?.isTerminal == true else { return }
    onEnd()
    // Only now: whoever waits for the end (shutdown) answers after the terminal notification.
    record.announceEnd()
  }
}
