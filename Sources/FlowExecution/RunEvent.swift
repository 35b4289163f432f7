import FlowGraph
import JSONRPC

/// A node's status in `execution.node.status` and `execution.status`.
public enum NodeStatus: String, Sendable {
  case pending, running, retrying, completed, failed, skipped, cancelled

  /// Whether the node has ended.
  public var isTerminal: Bool {
    switch self {
    case .completed, .failed, .skipped, .cancelled: true
    case .pending, .running, .retrying: false
    }
  }
}

/// A run's state in `execution.status`.
public enum RunState: String, Sendable {
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

/// What the runner reports, in causal order per run. The runner knows nothing of the protocol;
/// the server layer turns these into notifications.
public enum RunEvent: Sendable {
  case started(flowID: String, nodeIDs: [String], reusedNodeIDs: [String])
  case nodeStatus(nodeID: String, status: NodeStatus, reason: String? = nil, attempt: Int? = nil)
  case nodeDelta(nodeID: String, attempt: Int, index: Int, text: String)
  case nodeCompleted(nodeID: String, output: NodeOutput, cached: Bool, durationMS: Int)
  case nodeFailed(nodeID: String, error: NodeError)
  case completed(outputs: [(String, NodeOutput)], durationMS: Int, usage: RunUsage)
  case failed(error: RunFailure, outputs: [(String, NodeOutput)], durationMS: Int, usage: RunUsage)
  case cancelled(outputs: [(String, NodeOutput)], durationMS: Int, usage: RunUsage)

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

/// `execution.start` options.
public struct RunOptions: Sendable, Hashable {
  /// How the server-side cache is used.
  public enum CacheMode: String, Sendable, CaseIterable {
    case use, refresh, off
  }

  /// Nodes of the run executing at once.
  public var maxConcurrency: Int
  /// Whether to send `execution.node.delta`.
  public var stream: Bool
  /// Cache use.
  public var cache: CacheMode
  /// A run still live after this many seconds ends with `run_timeout`.
  public var timeoutSeconds: Double?

  /// Options with the protocol's defaults.
  public init(maxConcurrency: Int = 32, stream: Bool = false, cache: CacheMode = .use, timeoutSeconds: Double? = nil) {
    self.maxConcurrency = maxConcurrency
    self.stream = stream
    self.cache = cache
    self.timeoutSeconds = timeoutSeconds
  }

  /// Reads `options`; every problem names the field.
  public init(reading reader: ParamsReader?) throws(ResponseError) {
    self.init()
    guard let reader else { return }
    maxConcurrency = try reader.int("max_concurrency", minimum: 1) ?? maxConcurrency
    stream = try reader.bool("stream") ?? stream
    if let cache = try reader.string("cache") {
      guard let mode = CacheMode(rawValue: cache) else {
        throw .invalidParams("\(reader.path(of: "cache")) must be one of use, refresh, off.")
      }
      self.cache = mode
    }
    if let timeout = try reader.double("timeout_seconds") {
      guard timeout > 0 else { throw .invalidParams("\(reader.path(of: "timeout_seconds")) must be greater than 0.") }
      timeoutSeconds = timeout
    }
  }
}
