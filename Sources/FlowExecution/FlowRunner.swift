import FlowGraph
import JSONRPC
import Synchronization

/// Why a run is being stopped early.
public enum RunStopReason: Sendable {
  case cancelled
  case timeout
}

/// Executes one planned run, dependency-driven: a node starts as soon as every node it depends
/// on has completed, up to `options.maxConcurrency` at once. Reports everything as ``RunEvent``s.
///
/// Cancelling the Task that runs ``run()`` cancels every running node's Task; nodes that never
/// started end `cancelled`, and the run ends with exactly one terminal event.
public struct FlowRunner: Sendable {
  /// The run's id.
  public let runID: String
  /// The validated flow.
  public let index: GraphIndex
  /// What to execute.
  public let plan: ExecutionPlan
  /// Options.
  public let options: RunOptions
  /// Executors by node type.
  public let executors: ExecutorRegistry
  /// Where events go.
  public let sink: any RunEventSink
  /// Read once the run is stopped early, to tell a cancel from a timeout.
  public let stopReason: @Sendable () -> RunStopReason?
  /// Where each node's current status is published for `execution.status`.
  public let statusBoard: NodeStatusBoard
  /// Providers and model defaults for nodes that call a provider.
  public let services: ExecutionServices
  /// Counts the run's provider calls.
  public let meter = UsageMeter()

  /// A runner for one run.
  public init(
    runID: String, index: GraphIndex, plan: ExecutionPlan, options: RunOptions, executors: ExecutorRegistry,
    sink: any RunEventSink, statusBoard: NodeStatusBoard? = nil, services: ExecutionServices = ExecutionServices(),
    stopReason: @escaping @Sendable () -> RunStopReason?
  ) {
    self.services = services
    self.statusBoard = statusBoard ?? NodeStatusBoard(count: index.count)
    self.runID = runID
    self.index = index
    self.plan = plan
    self.options = options
    self.executors = executors
    self.sink = sink
    self.stopReason = stopReason
  }

  private enum Outcome: Sendable {
    case completed(NodeOutput)
    case failed(NodeError)
    case cancelled
  }

  private struct Finished: Sendable {
    var node: Int
    var outcome: Outcome
    var duration: Duration
  }

  /// Runs the plan to its end.
  public func run() async {
    let clock = ContinuousClock()
    let start = clock.now
    let nodes = index.flow.nodes
    let events = EventBatch(runID: runID, sink: sink)
    let gate = EmitGate()
    events.add(
      .started(
        flowID: index.flow.flowID, nodeIDs: plan.nodes.map { nodes[$0].id }, reusedNodeIDs: plan.reused.map { nodes[$0].id }))
    for node in plan.nodes { events.add(.nodeStatus(nodeID: nodes[node].id, status: .pending)) }

    var outputs = [NodeOutput?](repeating: nil, count: index.count)
    for node in plan.reused {
      outputs[node] = index.flow.cachedOutputs[nodes[node].id].map(NodeOutput.init(json:))
    }
    var position = [Int](repeating: -1, count: index.count)
    for (rank, node) in plan.nodes.enumerated() { position[node] = rank }
    var waitingOn = [Int](repeating: 0, count: index.count)
    for node in plan.nodes {
      waitingOn[node] = index.incoming[node].count { position[index.edgeSource[$0]] >= 0 }
    }
    var status = [NodeStatus](repeating: .pending, count: index.count)
    var ready = plan.nodes.filter { waitingOn[$0] == 0 }
    var readyHead = 0
    var failedNodes: [Int] = []
    var usage = RunUsage()

    /// Records a node's end and makes its dependents ready.
    func finish(_ finished: Finished) {
      let node = finished.node
      let id = nodes[node].id
      switch finished.outcome {
      case .completed(let output):
        outputs[node] = output
        status[node] = .completed
        statusBoard.set(node, .completed)
        if let tokens = output.usage {
          usage.tokens.inputTokens += tokens.inputTokens
          usage.tokens.outputTokens += tokens.outputTokens
        }
        events.add(.nodeCompleted(nodeID: id, output: output, cached: false, durationMS: finished.duration.milliseconds))
        for edge in index.outgoing[node] {
          let target = index.edgeTarget[edge]
          guard position[target] >= 0 else { continue }
          waitingOn[target] -= 1
          if waitingOn[target] == 0, status[target] == .pending { ready.append(target) }
        }
      case .failed(let error):
        status[node] = .failed
        statusBoard.set(node, .failed)
        failedNodes.append(node)
        events.add(.nodeFailed(nodeID: id, error: error))
        let skipped = index.downstream(of: node).filter { position[$0] >= 0 && status[$0] == .pending }
        for downstream in skipped.sorted(by: { position[$0] < position[$1] }) {
          status[downstream] = .skipped
          statusBoard.set(downstream, .skipped)
          events.add(.nodeStatus(nodeID: nodes[downstream].id, status: .skipped, reason: "upstream_failed"))
        }
      case .cancelled:
        status[node] = .cancelled
        statusBoard.set(node, .cancelled)
        events.add(.nodeStatus(nodeID: id, status: .cancelled))
      }
    }

    await withTaskGroup(of: Finished.self) { group in
      var running = 0
      while true {
        while !Task.isCancelled, running < options.maxConcurrency, readyHead < ready.count {
          let node = ready[readyHead]
          readyHead += 1
          status[node] = .running
          statusBoard.set(node, .running)
          statusBoard.set(node, .running)
          events.add(.nodeStatus(nodeID: nodes[node].id, status: .running))
          let context = makeContext(node, outputs: outputs, gate: gate)
          switch executors.execution(for: nodes[node].type) {
          case .inline(let executor)?:
            finish(Self.executeInline(node, context: context, executor: executor, clock: clock))
          case .async(let executor)?:
            events.flush()  // the node's `running` goes out before anything it reports itself
            group.addTask { await Self.execute(node, context: context, executor: executor, clock: clock) }
            running += 1
          case .inlineOrAsync(let inline, let executor)?:
            let start = clock.now
            let attempt = Result { try inline(context) }
            switch attempt {
            case .success(let output?):
              finish(Finished(node: node, outcome: .completed(output), duration: clock.now - start))
            case .success(nil):
              events.flush()
              group.addTask { await Self.execute(node, context: context, executor: executor, clock: clock) }
              running += 1
            case .failure(let error):
              finish(Finished(node: node, outcome: .failed(Self.nodeError(error, context)), duration: clock.now - start))
            }
          case nil:
            let error = NodeError(.internalError, "No executor is registered for node type '\(context.node.type)'.")
            finish(Finished(node: node, outcome: .failed(error), duration: .zero))
          }
          events.flushIfLarge()
        }
        events.flush()
        guard running > 0, let finished = await group.next() else { break }
        running -= 1
        finish(finished)
        if Task.isCancelled, running > 0 {
          // Stopped: end the run now rather than after every child has unwound its HTTP call
          // (their connections are being torn down; their results no longer matter). Nodes
          // still running end `cancelled`; nothing they report from here on goes out.
          gate.close()
          for node in plan.nodes where status[node] == .running {
            status[node] = .cancelled
            statusBoard.set(node, .cancelled)
            events.add(.nodeStatus(nodeID: nodes[node].id, status: .cancelled))
          }
          break
        }
      }
      conclude()
    }

    /// Cancels what never started and sends the run's terminal event.
    func conclude() {
      for node in plan.nodes where status[node] == .pending {
        status[node] = .cancelled
        statusBoard.set(node, .cancelled)
        events.add(.nodeStatus(nodeID: nodes[node].id, status: .cancelled))
      }
      let completedOutputs = plan.nodes.compactMap { node in
        status[node] == .completed ? outputs[node].map { (nodes[node].id, $0) } : nil
      }
      usage.providerCalls = meter.providerCalls
      let duration = (clock.now - start).milliseconds
      let failedIDs = failedNodes.sorted { position[$0] < position[$1] }.map { nodes[$0].id }
      switch stopReason() {
      case .timeout?:
        let limit = options.timeoutSeconds.map { "\($0)" } ?? "?"
        events.add(
          .failed(
            error: RunFailure(
              code: "run_timeout", message: "The run did not finish within timeout_seconds (\(limit) s) and was stopped.",
              failedNodeIDs: failedIDs),
            outputs: completedOutputs, durationMS: duration, usage: usage))
      case .cancelled?:
        events.add(.cancelled(outputs: completedOutputs, durationMS: duration, usage: usage))
      case nil where !failedIDs.isEmpty:
        let noun = failedIDs.count == 1 ? "node" : "nodes"
        events.add(
          .failed(
            error: RunFailure(
              code: "node_failed", message: "\(failedIDs.count) \(noun) failed: \(failedIDs.joined(separator: ", ")).",
              failedNodeIDs: failedIDs),
            outputs: completedOutputs, durationMS: duration, usage: usage))
      case nil:
        if Task.isCancelled {
          events.add(.cancelled(outputs: completedOutputs, durationMS: duration, usage: usage))
        } else {
          events.add(.completed(outputs: completedOutputs, durationMS: duration, usage: usage))
        }
      }
      gate.close()
      events.flush()
    }
  }

  private func makeContext(_ node: Int, outputs: [NodeOutput?], gate: EmitGate) -> NodeContext {
    var inputs = NodeInputs()
    for edge in index.incoming[node] {
      guard let output = outputs[index.edgeSource[edge]] else { continue }
      switch index.flow.edges[edge].edgeClass {
      case .text: if let text = output.text { inputs.texts.append(text) }
      case .adapter: inputs.personas += output.personas ?? []
      case .image: if let image = output.image { inputs.images.append(image) }
      }
    }
    return NodeContext(
      node: index.flow.nodes[node], inputs: inputs, runID: runID, flowProviderID: index.flow.providerID, options: options,
      services: services, meter: meter, emit: { [sink, runID] event in gate.emit { sink.emit(runID: runID, [event]) } })
  }

  private static func executeInline(
    _ node: Int, context: NodeContext, executor: InlineNodeExecutor, clock: ContinuousClock
  ) -> Finished {
    let start = clock.now
    let outcome: Outcome
    do {
      outcome = .completed(try executor(context))
    } catch {
      outcome = .failed(nodeError(error, context))
    }
    return Finished(node: node, outcome: outcome, duration: clock.now - start)
  }

  private static func nodeError(_ error: any Error, _ context: NodeContext) -> NodeError {
    (error as? NodeError) ?? NodeError(.internalError, "Node '\(context.node.id)' failed: \(error).")
  }

  private static func execute(
    _ node: Int, context: NodeContext, executor: NodeExecutor, clock: ContinuousClock
  ) async -> Finished {
    let start = clock.now
    if Task.isCancelled { return Finished(node: node, outcome: .cancelled, duration: .zero) }
    let outcome: Outcome
    do {
      outcome = .completed(try await executor(context))
    } catch let error as NodeError {
      outcome = Task.isCancelled ? .cancelled : .failed(error)
    } catch is CancellationError {
      outcome = .cancelled
    } catch {
      outcome = Task.isCancelled ? .cancelled : .failed(NodeError(.internalError, "Node '\(context.node.id)' failed: \(error)."))
    }
    return Finished(node: node, outcome: outcome, duration: clock.now - start)
  }
}

extension Duration {
  /// Whole milliseconds.
  var milliseconds: Int {
    let (seconds, attoseconds) = components
    return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
  }
}

/// Collects the events of one scheduling step and hands them to the sink together.
/// Owned by the run's task alone.
private final class EventBatch {
  private let runID: String
  private let sink: any RunEventSink
  private var events: [RunEvent] = []
  /// A step that produces more than this many events hands them over early, so a long stretch
  /// of inline nodes still streams to the client.
  private let limit = 1024

  init(runID: String, sink: any RunEventSink) {
    self.runID = runID
    self.sink = sink
    events.reserveCapacity(limit)
  }

  func add(_ event: RunEvent) {
    events.append(event)
  }

  func flushIfLarge() {
    if events.count >= limit { flush() }
  }

  func flush() {
    guard !events.isEmpty else { return }
    sink.emit(runID: runID, events)
    events.removeAll(keepingCapacity: true)
  }
}

/// Every node's latest status, written by the run and read by `execution.status` from any
/// thread, indexed by the node's position in the flow.
public final class NodeStatusBoard: Sendable {
  private let statuses: Mutex<[NodeStatus]>

  /// A board with every node pending.
  public init(count: Int) {
    statuses = Mutex([NodeStatus](repeating: .pending, count: count))
  }

  /// Sets one node's status.
  public func set(_ node: Int, _ status: NodeStatus) {
    statuses.withLock { $0[node] = status }
  }

  /// The statuses of some nodes.
  public func statuses(of nodes: [Int]) -> [NodeStatus] {
    statuses.withLock { statuses in nodes.map { statuses[$0] } }
  }
}

/// Lets a run's nodes report events (retries, deltas) until the run ends, and never after.
final class EmitGate: Sendable {
  private let open = Mutex(true)

  /// Runs `send` if the run has not ended; holding the gate while sending keeps the order.
  func emit(_ send: () -> Void) {
    open.withLock { isOpen in if isOpen { send() } }
  }

  /// Lets nothing more through.
  func close() {
    open.withLock { $0 = false }
  }
}
