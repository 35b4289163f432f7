import FlowGraph

/// A node's status in `execution.node.status` and `execution.status`.
public enum NodeStatus: String, Sendable {
  case pending, running, retrying, waiting, completed, failed, skipped, cancelled

  /// Whether the node has ended.
  public var isTerminal: Bool {
    switch self {
    case .completed, .failed, .skipped, .cancelled: true
    case .pending, .running, .retrying, .waiting: false
    }
  }
}

/// A run's state in `execution.status`.
public enum RunState: String, Sendable, CaseIterable {
  case running, completed, failed, cancelled
}

/// Why a run failed as a whole: the `error` of `execution.failed`.
public struct RunFailure: Sendable, Hashable {
  /// `node_failed` or `run_timeout`.
  public var code: String
  /// One sentence.
  public var message: String
  /// Nodes that failed on their own (not skipped or cancelled).
  public var failedNodeIDs: [String]
}

/// A run as `execution.status` reports it.
public struct RunSnapshot: Sendable {
  /// The run's id.
  public var runID: String
  /// The flow's id.
  public var flowID: String
  /// Where the run stands.
  public var state: RunState
  /// Every node of the run with its latest status, in run order.
  public var nodes: [(id: String, status: NodeStatus)]
  /// The outputs of the nodes that completed, once the run has ended.
  public var outputs: [(String, NodeOutput)]
}

/// Why a run method could not answer.
public enum RunLookupError: Error, Sendable, Hashable {
  /// No live or remembered run has this id.
  case unknownRun(String)
}

/// Why a run could not be created.
public enum RunStartError: Error, Sendable {
  /// The flow has errors: every issue validation found (warnings too).
  case invalidFlow([ValidationIssue])
  /// The engine is shutting down and starts no more runs.
  case shuttingDown
  /// The client-chosen run id belongs to a live or remembered run.
  case runIDInUse(String)
}
