/// A run event as it is sent: numbered within its run, and, for a node's end, with the run's
/// progress at that moment.
public struct SequencedEvent: Sendable {
  /// 1 for the run's first event sent, then one more for each further event sent.
  public var seq: Int
  /// The event.
  public var event: RunEvent
  /// Nodes of the run ended (completed, failed, skipped or cancelled) out of all of them; set
  /// on a node's terminal event.
  public var progress: RunProgress?

  /// A numbered event.
  public init(seq: Int, event: RunEvent, progress: RunProgress? = nil) {
    self.seq = seq
    self.event = event
    self.progress = progress
  }
}

extension SequencedEvent {
  /// Roughly what keeping the event costs: a fixed part plus text it alone holds (outputs are
  /// counted with the run's outputs).
  var estimatedBytes: Int {
    switch event {
    case .nodeDelta(_, _, _, let text): 96 + text.utf8.count
    default: 96
    }
  }
}

/// How far a run has come: `done` of its `total` nodes have ended.
public struct RunProgress: Sendable, Hashable {
  /// Nodes ended.
  public var done: Int
  /// Nodes in the run (`node_ids`).
  public var total: Int

  /// A progress count.
  public init(done: Int, total: Int) {
    self.done = done
    self.total = total
  }
}

/// A run as `execution.list` reports it.
public struct RunSummary: Sendable, Hashable {
  /// The run's id.
  public var runID: String
  /// The flow's id.
  public var flowID: String
  /// Where the run stands.
  public var state: RunState
  /// Nodes in the run.
  public var total: Int
  /// Nodes ended so far.
  public var done: Int
  /// Time since the run was created, or its whole duration once ended.
  public var durationMS: Int
  /// The quota key the run counts against, if it has one.
  public var quotaKey: String?

  /// A run's summary.
  public init(
    runID: String, flowID: String, state: RunState, total: Int, done: Int, durationMS: Int, quotaKey: String? = nil
  ) {
    self.quotaKey = quotaKey
    self.runID = runID
    self.flowID = flowID
    self.state = state
    self.total = total
    self.done = done
    self.durationMS = durationMS
  }
}

/// A page of a run's sent events, as `execution.events` returns it.
public struct RunEventPage: Sendable {
  /// The run's id.
  public var runID: String
  /// The events, in order.
  public var events: [SequencedEvent]
  /// Whether the run has ended (its terminal event is the last of the whole log).
  public var ended: Bool
}

/// Where a run manager sends the events of its runs, as they are sent to a client: filtered by
/// the run's `options.events`, numbered, with progress. Called in order per run; must not block.
public protocol RunNotificationSink: Sendable {
  /// Receives consecutive events of one run, in order.
  func send(runID: String, _ events: [SequencedEvent])
}

extension RunEvent {
  /// Whether the event ends one node: completed, failed, skipped or cancelled.
  var endsNode: Bool {
    switch self {
    case .nodeCompleted, .nodeFailed: true
    case .nodeStatus(_, let status, _, _): status == .skipped || status == .cancelled
    case .started, .nodeDelta, .completed, .failed, .cancelled: false
    }
  }

  /// Whether a run with `detail` sends this event.
  func isSent(at detail: RunOptions.EventDetail) -> Bool {
    switch (detail, self) {
    case (.all, _): true
    case (.nodes, .nodeStatus(_, let status, _, _)): status != .pending && status != .running
    case (.nodes, _): true
    case (.terminal, .started), (.terminal, .completed), (.terminal, .failed), (.terminal, .cancelled): true
    case (.terminal, _): false
    }
  }

  /// The event with its terminal outputs kept only for `nodes` (`nil`: all of them).
  func keepingOutputs(of nodes: Set<String>?) -> RunEvent {
    guard let nodes else { return self }
    switch self {
    case .completed(let outputs, let duration, let usage):
      return .completed(outputs: outputs.filter { nodes.contains($0.0) }, durationMS: duration, usage: usage)
    case .failed(let error, let outputs, let duration, let usage):
      return .failed(error: error, outputs: outputs.filter { nodes.contains($0.0) }, durationMS: duration, usage: usage)
    case .cancelled(let outputs, let duration, let usage):
      return .cancelled(outputs: outputs.filter { nodes.contains($0.0) }, durationMS: duration, usage: usage)
    case .started, .nodeStatus, .nodeDelta, .nodeCompleted, .nodeFailed:
      return self
    }
  }
}
