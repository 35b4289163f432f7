import FlowGraph
import Signals

/// The live state of one run, as `execution.status` reports it, kept current from the run's events.
final class RunRecord: Sendable {
  let runID: String
  let flowID: String
  let nodeIDs: [String]
  let nodeIndices: [Int]
  let board: NodeStatusBoard
  /// The order runs were created in, for `execution.list`.
  let serial: Int
  /// Which events are sent, and which outputs the terminal one keeps (`nil`: all).
  let detail: RunOptions.EventDetail
  let terminalOutputNodes: Set<String>?
  /// The quota key the run counts against.
  let quotaKey: String?
  private let createdAt = ContinuousClock.now

  private struct State {
    var runState = RunState.running
    var outputs: [(String, NodeOutput)] = []
    var task: Task<Void, Never>?
    var stopReason: RunStopReason?
    /// The run has decided how it ends: later stops are refused.
    var concluding = false
    var ended = false
    var durationMS: Int?
    /// Every event sent, in order, kept as the batches they were sent in (the arrays handed to
    /// `send`, shared rather than copied): the events' `seq` run 1, 2, 3… across the batches.
    var log: [[SequencedEvent]] = []
    /// The events in `log`.
    var logCount = 0
    var logBytes = 0
    var done = 0
  }

  private let state: Locked<State>
  /// Set once the run's terminal event has been passed on.
  private let endAnnounced = Latch<Void>()

  init(
    runID: String, flowID: String, nodeIDs: [String], nodeIndices: [Int], board: NodeStatusBoard, serial: Int,
    detail: RunOptions.EventDetail = .all, terminalOutputNodes: Set<String>? = nil, quotaKey: String? = nil
  ) {
    self.quotaKey = quotaKey
    self.runID = runID
    self.flowID = flowID
    self.nodeIDs = nodeIDs
    self.nodeIndices = nodeIndices
    self.board = board
    self.serial = serial
    self.detail = detail
    self.terminalOutputNodes = terminalOutputNodes
    self.state = Locked(State())
  }

  var isEnded: Bool { state.withLock { $0.ended } }

  /// The bytes the ended run keeps: its outputs and its event log (estimated).
  var rememberedBytes: Int {
    state.withLock { state in state.outputs.reduce(state.logBytes) { $0 + $1.1.byteCount } }
  }

  /// Numbers the events the run sends (those its `options.events` lets through), counts its
  /// ended nodes, logs what is sent, and hands it to `send`, all under the record's lock, so
  /// the run's numbering, its log and the order of sending agree even when a node's own task
  /// reports a delta while the run's task reports an end.
  func sequence(_ events: [RunEvent], send: ([SequencedEvent]) -> Void) {
    state.withLock { state in
      var sent: [SequencedEvent] = []
      sent.reserveCapacity(events.count)
      for event in events {
        var progress: RunProgress?
        if event.endsNode {
          state.done += 1
          progress = RunProgress(done: state.done, total: nodeIDs.count)
        }
        guard event.isSent(at: detail) else { continue }
        let numbered = SequencedEvent(
          seq: state.logCount + sent.count + 1, event: event.keepingOutputs(of: terminalOutputNodes), progress: progress)
        state.logBytes += numbered.estimatedBytes
        sent.append(numbered)
      }
      guard !sent.isEmpty else { return }
      state.log.append(sent)
      state.logCount += sent.count
      send(sent)
    }
  }

  /// The sent events with `seq` above `afterSeq`, at most `limit` of them, and whether the run
  /// has ended.
  func events(afterSeq: Int, limit: Int) -> (events: [SequencedEvent], ended: Bool) {
    state.withLock { state in
      var wanted = min(max(limit, 0), state.logCount - min(max(afterSeq, 0), state.logCount))
      var found: [SequencedEvent] = []
      found.reserveCapacity(wanted)
      // The first batch that holds `afterSeq + 1`: batches are in order and never empty.
      var low = 0
      var high = state.log.count
      while low < high {
        let middle = (low + high) / 2
        if let last = state.log[middle].last, last.seq <= afterSeq { low = middle + 1 } else { high = middle }
      }
      var batch = low
      while wanted > 0, batch < state.log.count {
        let events = state.log[batch]
        // A batch's events are numbered one after another.
        let from = min(events.count, max(0, afterSeq + 1 - (events.first?.seq ?? 0)))
        let taken = events[from...].prefix(wanted)
        found.append(contentsOf: taken)
        wanted -= taken.count
        batch += 1
      }
      return (found, state.ended)
    }
  }

  /// The run as `execution.list` reports it.
  var summary: RunSummary {
    state.withLock { state in
      RunSummary(
        runID: runID, flowID: flowID, state: state.runState, total: nodeIDs.count, done: state.done,
        durationMS: state.durationMS ?? (ContinuousClock.now - createdAt).milliseconds, quotaKey: quotaKey)
    }
  }

  /// Whether the run's task exists (it has been started).
  var hasStarted: Bool { state.withLock { $0.task != nil || $0.ended } }

  /// The run is about to end: returns why it was stopped, if it was, and refuses later stops.
  func claimEnd() -> RunStopReason? {
    state.withLock { state in
      state.concluding = true
      return state.stopReason
    }
  }

  /// Records the run's Task; if a stop was requested before it existed, cancels it at once.
  func attach(_ task: Task<Void, Never>) {
    let cancelNow = state.withLock { state -> Bool in
      state.task = task
      return state.stopReason != nil
    }
    if cancelNow { task.cancel() }
  }

  /// Asks the run to stop; returns `false` when it had already ended.
  @discardableResult
  func stop(_ reason: RunStopReason) -> Bool {
    let (live, task) = state.withLock { state -> (Bool, Task<Void, Never>?) in
      guard !state.ended, !state.concluding else { return (false, nil) }
      if state.stopReason == nil { state.stopReason = reason }
      return (true, state.task)
    }
    task?.cancel()
    return live
  }

  /// Applies the end of the run, if `event` is its terminal event. (Node statuses come from
  /// the status board the runner writes.)
  func applyIfTerminal(_ event: RunEvent) {
    let outcome: (RunState, [(String, NodeOutput)], Int)
    switch event {
    case .completed(let outputs, let duration, _): outcome = (.completed, outputs, duration)
    case .failed(_, let outputs, let duration, _): outcome = (.failed, outputs, duration)
    case .cancelled(let outputs, let duration, _): outcome = (.cancelled, outputs, duration)
    case .started, .nodeStatus, .nodeDelta, .nodeCompleted, .nodeFailed: return
    }
    state.withLock { state in
      state.runState = outcome.0
      state.outputs = outcome.1
      state.durationMS = outcome.2
      state.ended = true
      state.task = nil
    }
  }

  /// Wakes whoever waits for the end: called once the terminal event has been passed on, so
  /// they act after it (a `shutdown` answer follows the runs' terminal notifications).
  func announceEnd() {
    endAnnounced.set(())
  }

  /// Suspends until the run's terminal event has been passed on.
  func waitUntilEnded() async {
    await endAnnounced.wait()
  }

  /// The run as `execution.status` reports it.
  var snapshot: RunSnapshot {
    let statuses = board.statuses(of: nodeIndices)
    return state.withLock { state in
      RunSnapshot(
        runID: runID, flowID: flowID, state: state.runState,
        nodes: zip(nodeIDs, statuses).map { (id: $0, status: $1) }, outputs: state.outputs)
    }
  }
}
