import FlowGraph

/// How one node's execution ended, as the driver reports it to the ``RunScheduler``.
public enum NodeOutcome: Sendable {
  case completed(NodeOutput)
  case failed(NodeError)
  case cancelled
}

/// Why a run is being stopped early.
public enum RunStopReason: Sendable {
  case cancelled
  case timeout
}

/// What the driver knows that the scheduler does not measure itself: time and provider calls.
public struct RunTally: Sendable, Hashable {
  /// Milliseconds since the run started.
  public var elapsedMS: Int
  /// Provider call attempts made so far.
  public var providerCalls: Int

  /// A tally.
  public init(elapsedMS: Int = 0, providerCalls: Int = 0) {
    self.elapsedMS = elapsedMS
    self.providerCalls = providerCalls
  }
}

/// The scheduling of one run as a pure state machine: which node starts when, what each step
/// reports, and how the run ends. It performs nothing itself; its methods record what happened
/// and ``next(_:)`` says what to do now. Events accumulate in ``events`` (and status changes in
/// ``statusChanges``) until the driver takes them.
///
/// Dependency-driven (invariant 4): a node becomes ready when every node it depends on within
/// the run has completed, and starts as soon as fewer than `maxConcurrency` nodes run. A failed
/// node skips everything downstream of it; a stop cancels what runs and what waits.
public struct RunScheduler: Sendable {
  /// What the driver must do now.
  public enum Action: Sendable, Hashable {
    /// Execute this node; its `running` event is the last of ``events``.
    case startNode(Int)
    /// Nothing can start: wait for a running node to finish, then call ``nodeFinished(_:_:durationMS:)``.
    case awaitNode
    /// The run has ended; its terminal event is the last of ``events``. Nothing of the run may
    /// be reported after it.
    case finishRun
  }

  private enum Phase: Sendable, Hashable {
    case created
    case running
    case stopping(RunStopReason)
    case finished
  }

  /// The indexed flow.
  public let index: GraphIndex
  /// What the run executes.
  public let plan: ExecutionPlan
  private let maxConcurrency: Int
  private let timeoutSeconds: Double?
  private let limits: RunLimits
  /// Bytes of output the run's nodes have produced so far.
  private var outputBytes = 0

  /// Events not yet taken by the driver, in order.
  public private(set) var events: [RunEvent] = []
  /// Node status changes not yet taken, in order (for `execution.status`).
  public private(set) var statusChanges: [(node: Int, status: NodeStatus)] = []

  private var phase = Phase.created
  private var outputs: [NodeOutput?]
  private var status: [NodeStatus]
  /// Each node's rank in `plan.nodes`, or -1 when the run does not execute it.
  private var rank: [Int]
  /// How many of a node's in-run dependencies have not completed yet.
  private var waitingOn: [Int]
  private var ready: [Int] = []
  private var readyHead = 0
  private var running = 0
  private var failedNodes: [Int] = []
  /// Whether a node ended `cancelled` on its own (its executor was cancelled without a stop).
  private var nodeCancelled = false
  private var tokens = TokenUsage()
  /// Whether every provider-calling node so far reported its usage.
  private var usageComplete = true

  /// A scheduler for one planned run.
  public init(index: GraphIndex, plan: ExecutionPlan, options: RunOptions, limits: RunLimits = RunLimits()) {
    self.index = index
    self.plan = plan
    self.limits = limits
    self.maxConcurrency = max(1, options.maxConcurrency)
    self.timeoutSeconds = options.timeoutSeconds
    outputs = [NodeOutput?](repeating: nil, count: index.count)
    status = [NodeStatus](repeating: .pending, count: index.count)
    rank = [Int](repeating: -1, count: index.count)
    waitingOn = [Int](repeating: 0, count: index.count)
    events.reserveCapacity(min(1024, 2 * plan.nodes.count + 2))
  }

  /// The node's current status.
  public func status(of node: Int) -> NodeStatus { status[node] }

  /// The output a node produced (or reused), if any.
  public func output(of node: Int) -> NodeOutput? { outputs[node] }

  /// Whether the run has ended.
  public var isFinished: Bool { phase == .finished }

  /// Whether the next ``next(_:)`` ends the run: it is stopping, or nothing runs and nothing
  /// is ready to start. The driver claims the end (and learns of a late stop) just before.
  public var willFinish: Bool {
    switch phase {
    case .created: return plan.nodes.isEmpty
    case .stopping, .finished: return true
    case .running:
      guard running == 0 else { return false }
      var position = readyHead
      while position < ready.count {
        if status[ready[position]] == .pending { return false }
        position += 1
      }
      return true
    }
  }

  /// Begins the run: `execution.started` and every node's `pending`.
  public mutating func start() {
    guard phase == .created else { return }
    phase = .running
    let nodes = index.flow.nodes
    events.reserveCapacity(events.count + plan.nodes.count + 1)
    events.append(
      .started(
        flowID: index.flow.flowID, nodeIDs: plan.nodes.map { nodes[$0].id }, reusedNodeIDs: plan.reused.map { nodes[$0].id }))
    for node in plan.nodes { events.append(.nodeStatus(nodeID: nodes[node].id, status: .pending)) }
    for node in plan.reused { outputs[node] = index.flow.cachedOutputs[nodes[node].id] }
    for (position, node) in plan.nodes.enumerated() { rank[node] = position }
    for node in plan.nodes {
      waitingOn[node] = index.incoming[node].count { rank[index.edgeSource[$0]] >= 0 }
      if waitingOn[node] == 0 { ready.append(node) }
    }
  }

  /// What to do now. `tally` is read only when the run ends here.
  public mutating func next(_ tally: @autoclosure () -> RunTally) -> Action {
    switch phase {
    case .created:
      start()
      return next(tally())
    case .finished:
      return .finishRun
    case .stopping(let reason):
      // Stopped: the run ends now rather than after every running node has unwound; nodes
      // still running end `cancelled` and nothing they report from here on goes out.
      for node in plan.nodes where status[node] == .running { set(node, .cancelled) }
      running = 0
      conclude(tally(), stop: reason)
      return .finishRun
    case .running:
      if running < maxConcurrency {
        while readyHead < ready.count {
          let node = ready[readyHead]
          readyHead += 1
          guard status[node] == .pending else { continue }
          running += 1
          set(node, .running)
          return .startNode(node)
        }
      }
      if running > 0 { return .awaitNode }
      conclude(tally(), stop: nil)
      return .finishRun
    }
  }

  /// Records how a started node ended and makes its dependents ready.
  public mutating func nodeFinished(_ node: Int, _ outcome: NodeOutcome, durationMS: Int) {
    guard status[node] == .running else { return }  // already ended by a stop
    running -= 1
    let id = index.flow.nodes[node].id
    switch checkedSize(outcome, id: id) {
    case .completed(let output):
      outputs[node] = output
      if let usage = output.usage {
        tokens.add(usage)
      } else if output.model != nil, output.cacheKey == nil {
        usageComplete = false
      }
      statusChanges.append((node, .completed))
      status[node] = .completed
      events.append(.nodeCompleted(nodeID: id, output: output, cached: output.cacheKey != nil, durationMS: durationMS))
      for edge in index.outgoing[node] {
        let target = index.edgeTarget[edge]
        guard rank[target] >= 0 else { continue }
        waitingOn[target] -= 1
        if waitingOn[target] == 0, status[target] == .pending { ready.append(target) }
      }
    case .failed(let error):
      statusChanges.append((node, .failed))
      status[node] = .failed
      failedNodes.append(node)
      events.append(.nodeFailed(nodeID: id, error: error))
      let skipped = index.downstream(of: node).filter { rank[$0] >= 0 && status[$0] == .pending }
      for downstream in skipped.sorted(by: { rank[$0] < rank[$1] }) {
        set(downstream, .skipped, reason: "upstream_failed")
      }
    case .cancelled:
      nodeCancelled = true
      set(node, .cancelled)
    }
  }

  /// A completed outcome within the output limits, or the failure that replaces it.
  private mutating func checkedSize(_ outcome: NodeOutcome, id: String) -> NodeOutcome {
    guard case .completed(let output) = outcome else { return outcome }
    let bytes = output.byteCount
    if bytes > limits.maxOutputBytes {
      return .failed(
        NodeError(
          .outputTooLarge,
          "Node '\(id)' produced \(bytes) bytes of output, more than limits.max_output_bytes (\(limits.maxOutputBytes))."))
    }
    if outputBytes + bytes > limits.maxRunOutputBytes {
      return .failed(
        NodeError(
          .outputTooLarge,
          "Node '\(id)' would take the run's outputs past limits.max_run_output_bytes (\(limits.maxRunOutputBytes))."))
    }
    outputBytes += bytes
    return outcome
  }

  /// Stops the run early: nothing more starts, and the next ``next(_:)`` ends it. The first
  /// reason given wins.
  public mutating func stop(_ reason: RunStopReason) {
    switch phase {
    case .created, .running: phase = .stopping(reason)
    case .stopping, .finished: break
    }
  }

  /// Stops the run because its `timeout_seconds` passed.
  public mutating func timeout() { stop(.timeout) }

  /// What a node receives from its upstream nodes, gathered in edge order.
  public func inputs(of node: Int) -> NodeInputs {
    var inputs = NodeInputs()
    let sources = index.edgeSource
    let classes = index.edgeClasses
    // Each part is read where the output lies, without copying the output.
    for edge in index.incoming[node] {
      let source = sources[edge]
      switch classes[edge] {
      case .text: if let text = outputs[source]?.text { inputs.texts.append(text) }
      case .adapter: if let personas = outputs[source]?.personas { inputs.personas += personas }
      case .image: if let image = outputs[source]?.image { inputs.images.append(image) }
      }
    }
    return inputs
  }

  /// Hands over the pending events and status changes by swapping them with the caller's
  /// (empty) buffers, so neither side allocates per step.
  public mutating func takeEvents(
    into taken: inout [RunEvent], statusChanges takenChanges: inout [(node: Int, status: NodeStatus)]
  ) {
    swap(&taken, &events)
    swap(&takenChanges, &statusChanges)
  }

  /// Hands over the pending events and status changes (for tests and one-off callers).
  public mutating func takeEvents() -> (events: [RunEvent], statusChanges: [(node: Int, status: NodeStatus)]) {
    var taken: [RunEvent] = []
    var changes: [(node: Int, status: NodeStatus)] = []
    takeEvents(into: &taken, statusChanges: &changes)
    return (taken, changes)
  }

  private mutating func set(_ node: Int, _ newStatus: NodeStatus, reason: String? = nil) {
    status[node] = newStatus
    statusChanges.append((node, newStatus))
    events.append(.nodeStatus(nodeID: index.flow.nodes[node].id, status: newStatus, reason: reason))
  }

  /// Cancels what never started and appends the run's terminal event.
  private mutating func conclude(_ tally: RunTally, stop reason: RunStopReason?) {
    for node in plan.nodes where status[node] == .pending { set(node, .cancelled) }
    let nodes = index.flow.nodes
    var completed: [(String, NodeOutput)] = []
    completed.reserveCapacity(plan.nodes.count)
    for node in plan.nodes where status[node] == .completed {
      if let output = outputs[node] { completed.append((nodes[node].id, output)) }
    }
    var usage = RunUsage()
    usage.tokens = tokens
    usage.providerCalls = tally.providerCalls
    usage.complete = usageComplete
    let failedIDs = failedNodes.sorted { rank[$0] < rank[$1] }.map { nodes[$0].id }
    switch reason {
    case .timeout?:
      let limit = timeoutSeconds.map { "\($0)" } ?? "?"
      let failure = RunFailure(
        code: "run_timeout", message: "The run did not finish within timeout_seconds (\(limit) s) and was stopped.",
        failedNodeIDs: failedIDs)
      events.append(.failed(error: failure, outputs: completed, durationMS: tally.elapsedMS, usage: usage))
    case .cancelled?,
      nil where nodeCancelled && failedIDs.isEmpty:
      events.append(.cancelled(outputs: completed, durationMS: tally.elapsedMS, usage: usage))
    case nil where !failedIDs.isEmpty:
      let noun = failedIDs.count == 1 ? "node" : "nodes"
      let failure = RunFailure(
        code: "node_failed", message: "\(failedIDs.count) \(noun) failed: \(failedIDs.joined(separator: ", ")).",
        failedNodeIDs: failedIDs)
      events.append(.failed(error: failure, outputs: completed, durationMS: tally.elapsedMS, usage: usage))
    case nil:
      events.append(.completed(outputs: completed, durationMS: tally.elapsedMS, usage: usage))
    }
    phase = .finished
  }
}
