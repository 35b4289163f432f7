import FlowExecution
import FlowGraph
import FlowNodes
import FlowRunnerTestSupport
import Testing

/// The scheduler on its own: no tasks, no sleeps, no encoder. A test drives it as the runner
/// would, choosing which running node finishes next, and checks every event it produced.
@Suite("Run scheduler state machine")
struct RunSchedulerTests {
  /// Drives a scheduler to its end. `pick` chooses which running node finishes next and how.
  struct Drive {
    var scheduler: RunScheduler
    var events: [RunEvent] = []
    var running: [Int] = []
    var peakRunning = 0

    init(_ flow: Flow, options: RunOptions = RunOptions()) throws {
      let validation = NodeKits.standard.validate(flow)
      let plan = try #require(validation.plan)
      scheduler = RunScheduler(index: validation.index, plan: plan, options: options)
      scheduler.start()
    }

    /// Starts what can start; returns false once the run has finished.
    mutating func advance() -> Bool {
      while true {
        switch scheduler.next(RunTally(elapsedMS: 7, providerCalls: 3)) {
        case .startNode(let node):
          running.append(node)
          peakRunning = max(peakRunning, running.count)
        case .awaitNode:
          events += scheduler.takeEvents().events
          return true
        case .finishRun:
          events += scheduler.takeEvents().events
          return false
        }
      }
    }

    mutating func finish(at position: Int, _ outcome: NodeOutcome) {
      let node = running.remove(at: position)
      scheduler.nodeFinished(node, outcome, durationMS: 1)
    }

    var ids: [String] { scheduler.index.flow.nodes.map(\.id) }
  }

  static func chain(_ ids: [String]) -> Flow {
    Flow(
      nodes: ids.map { FlowNode(id: $0, type: "textOutput") },
      edges: zip(ids, ids.dropFirst()).map { FlowEdge(source: $0, target: $1) })
  }

  /// The methods of the events, with node ids, for compact expectations.
  static func trace(_ events: [RunEvent]) -> [String] {
    events.map { event in
      switch event {
      case .started: "started"
      case .nodeStatus(let id, let status, let reason, _): "\(id) \(status.rawValue)" + (reason.map { " \($0)" } ?? "")
      case .nodeDelta(let id, _, _, _): "\(id) delta"
      case .nodeCompleted(let id, _, _, _): "\(id) completed"
      case .nodeFailed(let id, _): "\(id) failed"
      case .completed: "run completed"
      case .failed(let failure, _, _, _): "run failed \(failure.code)"
      case .cancelled: "run cancelled"
      }
    }
  }

  @Test("token totals saturate instead of overflowing")
  func tokenTotalsSaturate() throws {
    var drive = try Drive(Flow(nodes: ["a", "b", "c"].map { FlowNode(id: $0, type: "textOutput") }, edges: []))
    while drive.advance() {
      let usage = TokenUsage(inputTokens: .max - 1, outputTokens: 5)
      drive.finish(at: 0, .completed(NodeOutput(text: "x", usage: usage)))
    }
    guard case .completed(_, _, let usage)? = drive.events.last else {
      Issue.record("the run did not complete: \(Self.trace(drive.events))")
      return
    }
    #expect(usage.tokens.inputTokens == .max)
    #expect(usage.tokens.outputTokens == 15)
  }

  @Test("a chain runs node by node, each after its input completed")
  func chain() throws {
    var drive = try Drive(Self.chain(["a", "b", "c"]))
    while drive.advance() { drive.finish(at: 0, .completed(NodeOutput(text: "x"))) }
    #expect(
      Self.trace(drive.events) == [
        "started", "a pending", "b pending", "c pending", "a running", "a completed", "b running", "b completed",
        "c running", "c completed", "run completed",
      ])
    guard case .completed(let outputs, let duration, let usage)? = drive.events.last else {
      Issue.record("no terminal event")
      return
    }
    #expect(outputs.map(\.0) == ["a", "b", "c"])
    #expect(duration == 7 && usage.providerCalls == 3)
  }

  @Test("max_concurrency caps the nodes running at once")
  func concurrency() throws {
    let flow = Flow(nodes: (0..<10).map { FlowNode(id: "n\($0)", type: "textOutput") }, edges: [])
    var drive = try Drive(flow, options: RunOptions(maxConcurrency: 3))
    while drive.advance() { drive.finish(at: 0, .completed(NodeOutput(text: ""))) }
    #expect(drive.peakRunning == 3)
    #expect(Self.trace(drive.events).last == "run completed")
  }

  @Test("a failure skips everything downstream; independent branches finish; the run fails")
  func failure() throws {
    let flow = Flow(
      nodes: ["a", "b", "c", "x"].map { FlowNode(id: $0, type: "textOutput") },
      edges: [FlowEdge(source: "a", target: "b"), FlowEdge(source: "b", target: "c")])
    var drive = try Drive(flow)
    while drive.advance() {
      let id = drive.ids[drive.running[0]]
      drive.finish(at: 0, id == "a" ? .failed(NodeError(.invalidData, "no")) : .completed(NodeOutput(text: id)))
    }
    let trace = Self.trace(drive.events)
    #expect(trace.contains("b skipped upstream_failed") && trace.contains("c skipped upstream_failed"))
    #expect(trace.contains("x completed"))
    #expect(trace.last == "run failed node_failed")
  }

  @Test("a stop cancels running and pending nodes at once; the first reason wins")
  func stop() throws {
    var drive = try Drive(Self.chain(["a", "b"]))
    let waiting = drive.advance()
    #expect(waiting)
    drive.scheduler.timeout()
    drive.scheduler.stop(.cancelled)
    let more = drive.advance()
    #expect(!more)
    #expect(
      Self.trace(drive.events) == [
        "started", "a pending", "b pending", "a running", "a cancelled", "b cancelled", "run failed run_timeout",
      ])
    // A node that reports after the stop is ignored.
    drive.scheduler.nodeFinished(0, .completed(NodeOutput(text: "late")), durationMS: 1)
    let late = drive.scheduler.takeEvents().events
    #expect(late.isEmpty)
  }

  @Test("a stop before anything started still reports every node, then the run's end")
  func stopBeforeStart() throws {
    var drive = try Drive(Self.chain(["a", "b"]))
    drive.scheduler.stop(.cancelled)
    let more = drive.advance()
    #expect(!more)
    #expect(Self.trace(drive.events) == ["started", "a pending", "b pending", "a cancelled", "b cancelled", "run cancelled"])
  }

  @Test("inputs arrive in edge order, a duplicate edge carries its input once")
  func inputs() throws {
    let flow = Flow(
      nodes: ["a", "b", "o"].map { FlowNode(id: $0, type: "textOutput") },
      edges: [
        FlowEdge(id: "1", source: "b", target: "o"), FlowEdge(id: "2", source: "a", target: "o"),
        FlowEdge(id: "3", source: "b", target: "o"),
      ])
    var drive = try Drive(flow)
    var seen: [String] = []
    while drive.advance() {
      let node = drive.running[0]
      if drive.ids[node] == "o" { seen = drive.scheduler.inputs(of: node).texts }
      drive.finish(at: 0, .completed(NodeOutput(text: drive.ids[node])))
    }
    #expect(seen == ["b", "a"])
  }

  @Test("random DAGs with random failures, cancellations and stops keep every invariant", arguments: 0..<60)
  func randomRuns(seed: UInt64) throws {
    var random = SplitMix64(seed: seed &* 7919 &+ 3)
    let dag = RandomDAG(nodeCount: Int(random.next() % 30) + 1, edgeProbability: 0.15, using: &random)
    let cap = Int(random.next() % 4) + 1
    var drive = try Drive(dag.flow, options: RunOptions(maxConcurrency: cap))
    let stopAfter = random.next() % 3 == 0 ? Int(random.next() % 20) + 1 : Int.max
    var steps = 0
    while drive.advance() {
      steps += 1
      if steps == stopAfter { drive.scheduler.stop(random.next() % 2 == 0 ? .cancelled : .timeout) }
      let position = Int(random.next() % UInt64(drive.running.count))
      let roll = random.next() % 10
      let outcome: NodeOutcome =
        roll == 0 ? .failed(NodeError(.internalError, "boom")) : roll == 1 ? .cancelled : .completed(NodeOutput(text: "t"))
      drive.finish(at: position, outcome)
    }
    #expect(drive.peakRunning <= cap)
    try Self.checkInvariants(drive.events, flow: dag.flow)
  }

  /// Invariants 1–3 and 5 of the protocol, on the events themselves.
  static func checkInvariants(_ events: [RunEvent], flow: Flow) throws {
    guard case .started(_, let nodeIDs, _)? = events.first else {
      Issue.record("the first event is not started")
      return
    }
    let terminal = try #require(events.last)
    #expect(terminal.isTerminal)
    #expect(events.dropLast().allSatisfy { !$0.isTerminal })
    var state: [String: String] = [:]
    var ended: Set<String> = []
    var completed: Set<String> = []
    let upstream = Dictionary(grouping: flow.edges, by: \.target).mapValues { $0.map(\.source) }
    func expectFirstEnd(_ id: String) {
      let first = ended.insert(id).inserted
      #expect(first, "\(id) ended twice")
    }
    for event in events.dropFirst().dropLast() {
      switch event {
      case .nodeStatus(let id, .pending, _, _):
        #expect(state[id] == nil, "\(id) pending twice")
        state[id] = "pending"
      case .nodeStatus(let id, .running, _, _):
        #expect(state[id] == "pending", "\(id) ran before pending")
        for source in upstream[id] ?? [] where nodeIDs.contains(source) {
          #expect(completed.contains(source), "\(id) ran before its input \(source) completed")
        }
        state[id] = "running"
      case .nodeStatus(let id, let status, let reason, _):
        #expect(status == .skipped || status == .cancelled)
        if status == .skipped { #expect(reason == "upstream_failed") }
        expectFirstEnd(id)
      case .nodeCompleted(let id, _, _, _):
        #expect(state[id] == "running")
        expectFirstEnd(id)
        completed.insert(id)
      case .nodeFailed(let id, _):
        #expect(state[id] == "running")
        expectFirstEnd(id)
      case .nodeDelta, .started, .completed, .failed, .cancelled:
        Issue.record("unexpected \(event) inside the run")
      }
    }
    #expect(ended == Set(nodeIDs), "every node ends exactly once")
  }
}
