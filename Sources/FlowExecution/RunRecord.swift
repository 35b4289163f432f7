import FlowGraph
import JSONRPC
import Synchronization

/// The live state of one run, as `execution.status` reports it, kept current from the run's events.
final class RunRecord: Sendable {
  let runID: String
  let flowID: String
  let nodeIDs: [String]

  private struct State {
    var runState = RunState.running
    var nodeStatus: [String: NodeStatus]
    var outputs: [(String, NodeOutput)] = []
    var task: Task<Void, Never>?
    var stopReason: RunStopReason?
    var ended = false
    var waiters: [CheckedContinuation<Void, Never>] = []
  }

  private let state: Mutex<State>

  init(runID: String, flowID: String, nodeIDs: [String]) {
    self.runID = runID
    self.flowID = flowID
    self.nodeIDs = nodeIDs
    var statuses: [String: NodeStatus] = [:]
    statuses.reserveCapacity(nodeIDs.count)
    for id in nodeIDs { statuses[id] = .pending }
    self.state = Mutex(State(nodeStatus: statuses))
  }

  var isEnded: Bool { state.withLock { $0.ended } }
  var stopReason: RunStopReason? { state.withLock { $0.stopReason } }

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
      guard !state.ended else { return (false, nil) }
      if state.stopReason == nil { state.stopReason = reason }
      return (true, state.task)
    }
    task?.cancel()
    return live
  }

  /// Applies one event of this run. For the terminal event it returns the continuations waiting
  /// for the end, to be resumed once the event has been passed on.
  func apply(_ events: [RunEvent]) -> [CheckedContinuation<Void, Never>] {
    state.withLock { state -> [CheckedContinuation<Void, Never>] in
      var waiters: [CheckedContinuation<Void, Never>] = []
      for event in events { waiters += Self.apply(event, to: &state) }
      return waiters
    }
  }

  private static func apply(_ event: RunEvent, to state: inout State) -> [CheckedContinuation<Void, Never>] {
    switch event {
    case .started, .nodeDelta:
      break
    case .nodeStatus(let nodeID, let status, _, _):
      state.nodeStatus[nodeID] = status
    case .nodeCompleted(let nodeID, _, _, _):
      state.nodeStatus[nodeID] = .completed
    case .nodeFailed(let nodeID, _):
      state.nodeStatus[nodeID] = .failed
    case .completed(let outputs, _, _):
      state.runState = .completed
      state.outputs = outputs
    case .failed(_, let outputs, _, _):
      state.runState = .failed
      state.outputs = outputs
    case .cancelled(let outputs, _, _):
      state.runState = .cancelled
      state.outputs = outputs
    }
    guard event.isTerminal else { return [] }
    state.ended = true
    state.task = nil
    defer { state.waiters = [] }
    return state.waiters
  }

  /// Suspends until the run's terminal event has been emitted.
  func waitUntilEnded() async {
    await withCheckedContinuation { continuation in
      let resumeNow = state.withLock { state -> Bool in
        if state.ended { return true }
        state.waiters.append(continuation)
        return false
      }
      if resumeNow { continuation.resume() }
    }
  }

  /// The `execution.status` result.
  var statusJSON: JSONValue {
    state.withLock { state in
      var nodes = JSONObject()
      nodes.reserveCapacity(nodeIDs.count)
      for id in nodeIDs { nodes[id] = .string((state.nodeStatus[id] ?? .pending).rawValue) }
      var outputs = JSONObject()
      for (id, output) in state.outputs { outputs[id] = output.json }
      return [
        "run_id": .string(runID), "flow_id": .string(flowID), "state": .string(state.runState.rawValue),
        "nodes": .object(nodes), "outputs": .object(outputs),
      ]
    }
  }
}
