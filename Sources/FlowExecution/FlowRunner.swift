import FlowGraph
import Signals

/// Drives one run: it asks the ``RunScheduler`` what to do, executes nodes (inline, or in child
/// Tasks of a task group), reports their ends back, and hands the scheduler's events to the sink.
///
/// Cancelling the Task that runs ``run()`` cancels every running node's Task; the run then ends
/// with exactly one terminal event.
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
  /// Called once, just before the run ends: returns why it was stopped, if it was, and from
  /// then on refuses further stops (so a cancel either makes the run end cancelled or reports
  /// that it had already ended).
  public let claimEnd: @Sendable () -> RunStopReason?
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
    claimEnd: @escaping @Sendable () -> RunStopReason?
  ) {
    self.services = services
    self.statusBoard = statusBoard ?? NodeStatusBoard(count: index.count)
    self.runID = runID
    self.index = index
    self.plan = plan
    self.options = options
    self.executors = executors
    self.sink = sink
    self.claimEnd = claimEnd
  }

  private struct Finished: Sendable {
    var node: Int
    var outcome: NodeOutcome
    var duration: Duration
  }

  /// A step that produces more than this many events hands them over early, so a long stretch
  /// of inline nodes still streams to the client.
  private static let batchLimit = 1024

  /// Runs the plan to its end.
  public func run() async {
    let clock = ContinuousClock()
    let start = clock.now
    let gate = EmitGate()
    let shared = RunContext(
      runID: runID, flowProviderID: index.flow.providerID, options: options, services: services, meter: meter,
      emit: { [sink, runID] event in gate.emit { sink.emit(runID: runID, [event]) } })
    var scheduler = RunScheduler(index: index, plan: plan, options: options, limits: services.limits)
    var kinds = NodeKinds(executors: executors)
    scheduler.start()
    func tally() -> RunTally { RunTally(elapsedMS: (clock.now - start).milliseconds, providerCalls: meter.providerCalls) }
    // Two buffers swapped with the scheduler's on every hand-over: no allocation per step.
    var taken: [RunEvent] = []
    var takenChanges: [(node: Int, status: NodeStatus)] = []
    taken.reserveCapacity(Self.batchLimit + 8)
    takenChanges.reserveCapacity(Self.batchLimit + 8)
    // When the run's own work last paused for something else (a hand-over, a wait) or a node
    // last ended: an inline node's time runs from there, so one clock reading times each node.
    var mark = clock.now
    func flush() {
      scheduler.takeEvents(into: &taken, statusChanges: &takenChanges)
      statusBoard.apply(takenChanges)
      if !taken.isEmpty { sink.emit(runID: runID, taken) }
      taken.removeAll(keepingCapacity: true)
      takenChanges.removeAll(keepingCapacity: true)
      mark = clock.now
    }

    await withTaskGroup(of: Finished.self) { group in
      while true {
        if Task.isCancelled || scheduler.willFinish {
          if let reason = claimEnd() {
            scheduler.stop(reason)
          } else if Task.isCancelled {
            scheduler.stop(.cancelled)
          }
        }
        switch scheduler.next(tally()) {
        case .startNode(let node):
          let kind = kinds[index.flow.nodes[node].type]
          let context = NodeContext(
            node: index.flow.nodes[node], inputs: scheduler.inputs(of: node), executorVersion: kind.version, run: shared)
          switch kind.execution {
          case .inline(let executor)?:
            let finished = Self.executeInline(node, context: context, since: mark, clock: clock) { try executor(context) }
            mark = finished.end
            scheduler.nodeFinished(node, finished.outcome, durationMS: (finished.end - finished.start).milliseconds)
          case .async(let executor)?:
            flush()  // the node's `running` goes out before anything it reports itself
            group.addTask { await Self.execute(node, context: context, executor: executor, clock: clock) }
          case .inlineOrAsync(let inline, let executor)?:
            let attemptStart = mark
            switch Result(catching: { try inline(context) }) {
            case .success(let output?):
              mark = clock.now
              scheduler.nodeFinished(node, .completed(output), durationMS: (mark - attemptStart).milliseconds)
            case .success(nil):
              flush()
              group.addTask { await Self.execute(node, context: context, executor: executor, clock: clock) }
            case .failure(let error):
              scheduler.nodeFinished(node, .failed(Self.nodeError(error, context)), durationMS: 0)
            }
          case nil:
            let error = NodeError(.internalError, "No executor is registered for node type '\(context.node.type)'.")
            scheduler.nodeFinished(node, .failed(error), durationMS: 0)
          }
          if scheduler.events.count >= Self.batchLimit { flush() }
        case .awaitNode:
          flush()
          guard let finished = await group.next() else { continue }
          mark = clock.now
          scheduler.nodeFinished(finished.node, finished.outcome, durationMS: finished.duration.milliseconds)
        case .finishRun:
          gate.close()
          flush()
          group.cancelAll()
          return
        }
      }
    }
  }

  /// Runs an inline node that starts at `start`: returns how it ended, and when.
  private static func executeInline(
    _ node: Int, context: NodeContext, since start: ContinuousClock.Instant, clock: ContinuousClock,
    _ body: () throws -> NodeOutput
  ) -> (outcome: NodeOutcome, start: ContinuousClock.Instant, end: ContinuousClock.Instant) {
    let outcome: NodeOutcome
    do {
      outcome = .completed(try body())
    } catch {
      outcome = .failed(nodeError(error, context))
    }
    return (outcome, start, clock.now)
  }

  private static func nodeError(_ error: any Error, _ context: NodeContext) -> NodeError {
    (error as? NodeError) ?? NodeError(.internalError, "Node '\(context.node.id)' failed: \(error).")
  }

  private static func execute(
    _ node: Int, context: NodeContext, executor: NodeExecutor, clock: ContinuousClock
  ) async -> Finished {
    let start = clock.now
    if Task.isCancelled { return Finished(node: node, outcome: .cancelled, duration: .zero) }
    let outcome: NodeOutcome
    do {
      outcome = .completed(try await executor(context))
    } catch let error as NodeError {
      outcome = Task.isCancelled ? .cancelled : .failed(error)
    } catch is CancellationError {
      outcome = .cancelled
    } catch {
      outcome =
        Task.isCancelled ? .cancelled : .failed(NodeError(.internalError, "Node '\(context.node.id)' failed: \(error)."))
    }
    return Finished(node: node, outcome: outcome, duration: clock.now - start)
  }
}

extension Duration {
  /// Whole milliseconds (saturating).
  var milliseconds: Int {
    let (seconds, attoseconds) = components
    let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
    return overflow ? (seconds < 0 ? Int.min : Int.max) : Int(whole) + Int(attoseconds / 1_000_000_000_000_000)
  }
}

/// Every node's latest status, written by the run and read by `execution.status` from any
/// thread, indexed by the node's position in the flow.
public final class NodeStatusBoard: Sendable {
  private let statuses: Locked<[NodeStatus]>

  /// A board with every node pending.
  public init(count: Int) {
    statuses = Locked([NodeStatus](repeating: .pending, count: count))
  }

  /// Applies status changes in order.
  public func apply(_ changes: [(node: Int, status: NodeStatus)]) {
    guard !changes.isEmpty else { return }
    statuses.withLock { statuses in
      for change in changes { statuses[change.node] = change.status }
    }
  }

  /// The statuses of some nodes.
  public func statuses(of nodes: [Int]) -> [NodeStatus] {
    statuses.withLock { statuses in nodes.map { statuses[$0] } }
  }
}

/// Lets a run's nodes report events (retries, deltas) until the run ends, and never after.
final class EmitGate: Sendable {
  private let open = Locked(true)

  /// Runs `send` if the run has not ended; holding the gate while sending keeps the order.
  func emit(_ send: () -> Void) {
    open.withLock { isOpen in if isOpen { send() } }
  }

  /// Lets nothing more through.
  func close() {
    open.withLock { $0 = false }
  }
}

/// How each node type of a run executes, looked up in the registry once per type: a run has a
/// handful of types, so a short list compared by name beats hashing the type of every node.
private struct NodeKinds {
  struct Kind {
    var type: String
    var execution: NodeExecution?
    var version: String
  }

  let executors: ExecutorRegistry
  private var kinds: [Kind] = []

  init(executors: ExecutorRegistry) { self.executors = executors }

  subscript(type: String) -> Kind {
    mutating get {
      if let known = kinds.first(where: { $0.type == type }) { return known }
      let kind = Kind(type: type, execution: executors.execution(for: type), version: executors.version(for: type))
      kinds.append(kind)
      return kind
    }
  }
}
