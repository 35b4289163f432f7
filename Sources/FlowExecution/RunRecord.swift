import FlowGraph
import Signals

/// The live state of one run, as `execution.status` reports it, kept current from the run's events.
final class RunRecord: Sendable {
  let runID: String
  let flowID: String
  let nodeIDs: [String]
  let nodeIndices: [Int]
  let board: NodeStatusBoard

  private struct State {
    var runState = RunState.running
    var outputs: [(String, NodeOutput)] = []
    var task: Task<Void, Never>?
    var stopReason: RunStopReason?
    /// The run has decided how it ends: later stops are refused.
    var concluding = false
    var ended = false
  }

  private let state: Locked<State>
  /// Set once the run's terminal event has been passed on.
  private let endAnnounced = Latch<Void>()

  init(runID: String, flowID: String, nodeIDs: [String], nodeIndices: [Int], board: NodeStatusBoard) {
    self.runID = runID
    self.flowID = flowID
    self.nodeIDs = nodeIDs
    self.nodeIndices = nodeIndices
    self.board = board
    self.state = Locked(State())
  }

  var isEnded: Bool { state.withLock { $0.ended } }

  /// The bytes of the outputs the ended run keeps.
  var outputBytes: Int { state.withLock { $0.outputs.reduce(0) { $0 + $1.1.byteCount } } }

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
    let outcome: (RunState, [(String, NodeOutput)])
    switch event {
    case .completed(let outputs, _, _): outcome = (.completed, outputs)
    case .failed(_, let outputs, _, _): outcome = (.failed, outputs)
    case .cancelled(let outputs, _, _): outcome = (.cancelled, outputs)
    case .started, .nodeStatus, .nodeDelta, .nodeCompleted, .nodeFailed: return
    }
    state.withLock { state in
      state.runState = outcome.0
      state.outputs = outcome.1
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
