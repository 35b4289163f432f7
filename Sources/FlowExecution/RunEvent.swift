import FlowGraph

/// What the runner reports, in causal order per run. The runner knows nothing of the protocol;
/// the server layer turns these into notifications.
public enum RunEvent: Sendable {
  case started(flowID: String, nodeIDs: [String], reusedNodeIDs: [String])
  case nodeStatus(nodeID: String, status: NodeStatus, reason: String? = nil, attempt: Int? = nil)
  case nodeDelta(nodeID: String, attempt: Int, index: Int, text: String)
  // Boxed: a node output is large, and events are copied into batches and the run's log.
  indirect case nodeCompleted(nodeID: String, output: NodeOutput, cached: Bool, durationMS: Int)
  // The rare large cases are boxed too, so every event (and every run's log entry) stays small.
  indirect case nodeFailed(nodeID: String, error: NodeError)
  indirect case completed(outputs: [(String, NodeOutput)], durationMS: Int, usage: RunUsage)
  indirect case failed(error: RunFailure, outputs: [(String, NodeOutput)], durationMS: Int, usage: RunUsage)
  indirect case cancelled(outputs: [(String, NodeOutput)], durationMS: Int, usage: RunUsage)

  /// Whether this is a run's last event.
  public var isTerminal: Bool {
    switch self {
    case .completed, .failed, .cancelled: true
    default: false
    }
  }
}

/// Where a run's events go. Called from the run's task, in order; must not block. The runner
/// hands over events in batches (everything one scheduling step produced) so a sink can write
/// them with one system call.
public protocol RunEventSink: Sendable {
  /// Receives consecutive events of one run, in order.
  func emit(runID: String, _ events: [RunEvent])
}

extension RunEventSink {
  /// Receives one event of one run.
  public func emit(runID: String, _ event: RunEvent) {
    emit(runID: runID, [event])
  }
}
