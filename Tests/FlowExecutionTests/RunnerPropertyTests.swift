import FlowExecution
import FlowGraph
import FlowNodes
import FlowRunnerTestSupport
import JSON
import JSONRPC
import Signals
import Testing

@Suite("Runner properties over random DAGs")
struct RunnerPropertyTests {
  @Test("order respected, one terminal per node and per run, inputs merged in edge order", arguments: 0..<120)
  func randomDAG(seed: Int) async throws {
    var generator = SplitMix64(seed: UInt64(seed) &* 7919)
    let dag = RandomDAG(nodeCount: Int(generator.next() % 40) + 2, edgeProbability: 0.15, using: &generator)
    var script = ScriptedExecutor()
    for node in dag.nodes { script.delays[node] = .microseconds(Int64(generator.next() % 3000)) }
    if seed % 3 == 0, let victim = dag.nodes.randomElement(using: &generator) { script.failing = [victim] }
    let cap = seed % 4 == 0 ? 1 + Int(generator.next() % 4) : 32
    let sink = CollectingSink()
    let runs = Harness.manager(script, sink: sink)
    let validation = NodeKits.standard.validate(dag.flow)
    #expect(validation.isValid)
    let prepared = try runs.prepare(validation, options: RunOptions(maxConcurrency: cap))
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let summary = try EventLogChecker(flow: dag.flowJSON, maxConcurrency: cap).check(sink.log(prepared.runID))
    #expect(summary.terminalMethod == (script.failing.isEmpty ? "execution.completed" : "execution.failed"))
    // Every completed node saw its inputs' outputs, in edge order.
    let outputs = summary.terminal["outputs"]?.objectValue ?? [:]
    for (nodeID, output) in outputs.members {
      let sources = dag.edges.filter { $0.1 == nodeID }.map(\.0)
      let expected = "\(nodeID)(\(sources.compactMap { outputs[$0]?["text"]?.stringValue }.joined(separator: ",")))"
      #expect(output["text"]?.stringValue == expected)
    }
  }

  @Test("cancellation at a random moment ends the run with exactly one terminal", arguments: 0..<40)
  func randomCancel(seed: Int) async throws {
    var generator = SplitMix64(seed: UInt64(seed) &+ 1000)
    let dag = RandomDAG(nodeCount: 30, edgeProbability: 0.1, using: &generator)
    var script = ScriptedExecutor()
    for node in dag.nodes { script.delays[node] = .milliseconds(Int64(generator.next() % 8)) }
    let sink = CollectingSink()
    let runs = Harness.manager(script, sink: sink)
    let prepared = try runs.prepare(
      NodeKits.standard.validate(dag.flow), options: RunOptions(maxConcurrency: 4))
    runs.start(prepared)
    try await Task.sleep(for: .milliseconds(Int64(generator.next() % 25)))
    let cancelled = try runs.cancel(prepared.runID)
    // Latency is a benchmark figure; here only a hang fails.
    let ended = Latch<Void>()
    Task { [runs] in
      await runs.waitUntilEnded(prepared.runID)
      ended.set(())
    }
    #expect(await ended.wait(timeout: .seconds(10)) != nil, "the cancelled run did not end")
    let summary = try EventLogChecker(flow: dag.flowJSON, maxConcurrency: 4).check(sink.log(prepared.runID))
    if cancelled {
      #expect(summary.terminalMethod == "execution.cancelled")
    } else {
      #expect(summary.terminalMethod == "execution.completed")
    }
    #expect(try runs.cancel(prepared.runID) == false)
  }

  @Test("a cancel before the run starts still gives started and one terminal")
  func cancelBeforeStart() async throws {
    var generator = SplitMix64(seed: 5)
    let dag = RandomDAG(nodeCount: 10, edgeProbability: 0.3, using: &generator)
    let sink = CollectingSink()
    let runs = Harness.manager(ScriptedExecutor(), sink: sink)
    let prepared = try runs.prepare(NodeKits.standard.validate(dag.flow), options: RunOptions())
    #expect(try runs.cancel(prepared.runID) == true)
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let summary = try EventLogChecker(flow: dag.flowJSON).check(sink.log(prepared.runID))
    #expect(summary.terminalMethod == "execution.cancelled")
    #expect(summary.nodeOutcome.values.allSatisfy { $0 == "cancelled" })
  }

  @Test("timeouts at random moments end with execution.failed / run_timeout", arguments: 0..<20)
  func randomTimeout(seed: Int) async throws {
    var generator = SplitMix64(seed: UInt64(seed) &+ 5000)
    let dag = RandomDAG(nodeCount: 20, edgeProbability: 0.15, using: &generator)
    var script = ScriptedExecutor()
    for node in dag.nodes { script.delays[node] = .milliseconds(Int64(2 + generator.next() % 10)) }
    let sink = CollectingSink()
    let runs = Harness.manager(script, sink: sink)
    let timeout = Double(1 + generator.next() % 30) / 1000
    let prepared = try runs.prepare(
      NodeKits.standard.validate(dag.flow), options: RunOptions(maxConcurrency: 3, timeoutSeconds: timeout)
    )
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let summary = try EventLogChecker(flow: dag.flowJSON, maxConcurrency: 3).check(sink.log(prepared.runID))
    if summary.terminalMethod == "execution.failed" {
      #expect(summary.terminal["error"]?["code"] == "run_timeout")
      #expect(summary.terminal["error"]?["failed_node_ids"] == [])
      #expect(summary.nodeOutcome.values.contains("cancelled"))
    } else {
      #expect(summary.terminalMethod == "execution.completed")
    }
  }
}

@Suite("Runner scheduling")
struct RunnerSchedulingTests {
  @Test("a node starts when its own inputs are done, not when its level is")
  func dependencyDriven() async throws {
    // a and b are sources; c depends on b only; d on a and c. a cannot finish until c has
    // started: a level-by-level schedule would deadlock here (and a fail after 10 s).
    let flow = Flow(
      flowID: "dd", nodes: ["a", "b", "c", "d"].map { FlowNode(id: $0, type: "textOutput") },
      edges: [FlowEdge(source: "b", target: "c"), FlowEdge(source: "a", target: "d"), FlowEdge(source: "c", target: "d")])
    var script = ScriptedExecutor()
    script.waitsFor = ["a": "c"]
    let sink = CollectingSink()
    let runs = Harness.manager(script, sink: sink)
    let prepared = try runs.prepare(NodeKits.standard.validate(flow), options: RunOptions())
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let log = sink.log(prepared.runID)
    let order = log.compactMap { event -> String? in
      guard event["method"] == "execution.node.completed" else { return nil }
      return event["params"]?["node_id"]?.stringValue
    }
    #expect(order == ["b", "c", "a", "d"])
    try EventLogChecker(flow: [
      "edges": [["source": "b", "target": "c"], ["source": "a", "target": "d"], ["source": "c", "target": "d"]]
    ])
    .check(log)
  }

  @Test("max_concurrency caps the nodes running at once and is reached")
  func concurrencyCap() async throws {
    let count = 24
    var nodes = [FlowNode(id: "src", type: "textOutput")]
    var edges: [FlowEdge] = []
    for index in 0..<count {
      nodes.append(FlowNode(id: "w\(index)", type: "textOutput"))
      edges.append(FlowEdge(source: "src", target: "w\(index)"))
    }
    var script = ScriptedExecutor()
    for index in 0..<count { script.delays["w\(index)"] = .milliseconds(15) }
    let flow = Flow(flowID: "wide", nodes: nodes, edges: edges)
    let flowJSON: JSONValue = [
      "nodes": .array(nodes.map { ["id": .string($0.id), "type": "textOutput"] }),
      "edges": .array(edges.map { ["source": .string($0.source), "target": .string($0.target)] }),
    ]
    let sink = CollectingSink()
    let runs = Harness.manager(script, sink: sink)
    let prepared = try runs.prepare(NodeKits.standard.validate(flow), options: RunOptions(maxConcurrency: 5))
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let summary = try EventLogChecker(flow: flowJSON, maxConcurrency: 5).check(sink.log(prepared.runID))
    #expect(summary.peakRunning == 5)
  }

  @Test("a failure skips exactly its downstream; independent branches complete")
  func failureSkipsDownstream() async throws {
    let flow = Flow(
      flowID: "fail", nodes: ["a", "b", "c", "x", "y"].map { FlowNode(id: $0, type: "textOutput") },
      edges: [FlowEdge(source: "a", target: "b"), FlowEdge(source: "b", target: "c"), FlowEdge(source: "x", target: "y")])
    var script = ScriptedExecutor()
    script.failing = ["a"]
    let sink = CollectingSink()
    let runs = Harness.manager(script, sink: sink)
    let prepared = try runs.prepare(NodeKits.standard.validate(flow), options: RunOptions())
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let flowJSON: JSONValue = [
      "edges": [["source": "a", "target": "b"], ["source": "b", "target": "c"], ["source": "x", "target": "y"]]
    ]
    let summary = try EventLogChecker(flow: flowJSON).check(sink.log(prepared.runID))
    #expect(summary.nodeOutcome == ["a": "failed", "b": "skipped", "c": "skipped", "x": "completed", "y": "completed"])
    #expect(summary.terminal["error"]?["failed_node_ids"] == ["a"])
    #expect(Set(summary.terminal["outputs"]?.objectValue?.keys ?? []) == ["x", "y"])
    let status = try runs.status(prepared.runID)
    #expect(status.state == .failed)
    #expect(status.nodes.first { $0.id == "b" }?.status == .skipped)
  }

  @Test("ended runs stay queryable for the last 100")
  func retention() async throws {
    let sink = CollectingSink()
    let runs = Harness.manager(ScriptedExecutor(), sink: sink)
    let flow = Flow(flowID: "one", nodes: [FlowNode(id: "a", type: "textOutput")], edges: [])
    var ids: [String] = []
    for _ in 0..<105 {
      let prepared = try runs.prepare(NodeKits.standard.validate(flow), options: RunOptions())
      runs.start(prepared)
      await runs.waitUntilEnded(prepared.runID)
      ids.append(prepared.runID)
    }
    #expect(throws: RunLookupError.unknownRun(ids[0])) { try runs.status(ids[0]) }
    #expect(throws: RunLookupError.unknownRun(ids[4])) { try runs.status(ids[4]) }
    #expect(try runs.status(ids[5]).state == .completed)
    #expect(try runs.status(ids[104]).outputs.first { $0.0 == "a" }?.1.text == "a()")
    #expect(throws: RunLookupError.unknownRun(ids[0])) { try runs.cancel(ids[0]) }
  }
}

@Suite("Output and memory limits")
struct OutputLimitTests {
  /// A chain of diamonds: each level's merge holds twice the text of the level before.
  static func doubling(levels: Int, seedBytes: Int) -> Flow {
    var nodes = [FlowNode(id: "m0", type: "initialPrompt", data: ["text": .string(String(repeating: "x", count: seedBytes))])]
    var edges: [FlowEdge] = []
    for level in 1...levels {
      for side in ["a", "b"] {
        nodes.append(FlowNode(id: "\(side)\(level)", type: "textOutput"))
        edges.append(FlowEdge(source: "m\(level - 1)", target: "\(side)\(level)"))
        edges.append(FlowEdge(source: "\(side)\(level)", target: "m\(level)"))
      }
      nodes.append(FlowNode(id: "m\(level)", type: "textOutput"))
    }
    return Flow(flowID: "doubling", nodes: nodes, edges: edges)
  }

  @Test("text that doubles at every level stops at the node limit with output_too_large")
  func nodeLimit() async throws {
    let sink = CollectingSink()
    let runs = RunManager(executors: NodeKits.standard.executors, sink: sink)
    let services = NodeKits.standard.services(limits: RunLimits(maxOutputBytes: 64 << 10, maxRunOutputBytes: 64 << 20))
    let prepared = try runs.prepare(
      NodeKits.standard.validate(Self.doubling(levels: 30, seedBytes: 1000)), options: RunOptions(), services: services)
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let log = sink.log(prepared.runID)
    let failed = try #require(log.first { $0["method"] == "execution.node.failed" })
    #expect(failed["params"]?["error"]?["code"] == "output_too_large")
    #expect(failed["params"]?["node_id"] == "m7")  // 1000 × 2⁷ = 128,000 bytes > 64 KiB
    #expect(log.last?["method"] == "execution.failed")
  }

  @Test("the run's outputs together stop at the run limit")
  func runLimit() async throws {
    let sink = CollectingSink()
    let runs = RunManager(executors: NodeKits.standard.executors, sink: sink)
    let services = NodeKits.standard.services(limits: RunLimits(maxOutputBytes: 1 << 20, maxRunOutputBytes: 100_000))
    let prepared = try runs.prepare(
      NodeKits.standard.validate(Self.doubling(levels: 10, seedBytes: 1000)), options: RunOptions(maxConcurrency: 1),
      services: services)
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let failed = try #require(sink.log(prepared.runID).first { $0["method"] == "execution.node.failed" })
    #expect(failed["params"]?["error"]?["message"]?.stringValue?.contains("limits.max_run_output_bytes") == true)
  }

  @Test("ended runs are forgotten oldest first past the remembered-bytes limit")
  func rememberedBytes() async throws {
    let runs = RunManager(executors: NodeKits.standard.executors, sink: CollectingSink())
    runs.rememberedBytesLimit = 1 << 20
    let flow = Flow(
      nodes: [FlowNode(id: "p", type: "initialPrompt", data: ["text": .string(String(repeating: "z", count: 300_000))])],
      edges: [])
    var ids: [String] = []
    for _ in 0..<6 {
      let prepared = try runs.prepare(NodeKits.standard.validate(flow), options: RunOptions())
      runs.start(prepared)
      await runs.waitUntilEnded(prepared.runID)
      ids.append(prepared.runID)
    }
    #expect(runs.rememberedBytes <= 1 << 20)
    #expect(throws: RunLookupError.self) { try runs.status(ids[0]) }
    #expect(try runs.status(ids[5]).state == .completed)
  }
}
