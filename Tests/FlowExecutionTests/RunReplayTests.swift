import FlowExecution
import FlowGraph
import FlowNodes
import FlowRunnerServer
import FlowRunnerTestSupport
import JSON
import JSONRPC
import Testing

@Suite("Replaying a run's events")
struct RunReplayTests {
  /// A run whose events were sent in batches of many sizes: a long inline stretch (one large
  /// batch), then nodes that each run in a task of their own (small batches).
  func endedRun() async throws -> (RunManager, runID: String, sent: [JSONValue]) {
    var generator = SplitMix64(seed: 42)
    let dag = RandomDAG(nodeCount: 30, edgeProbability: 0.1, using: &generator)
    var flow = dag.flow
    for position in 0..<40 {
      flow.nodes.append(FlowNode(id: "prompt-\(position)", type: "initialPrompt", data: ["text": .string("text \(position)")]))
    }
    let sink = CollectingSink()
    let runs = Harness.manager(ScriptedExecutor(), sink: sink)
    let validation = NodeKits.standard.validate(flow)
    #expect(validation.isValid)
    let prepared = try runs.prepare(validation, options: RunOptions(maxConcurrency: 3))
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    return (runs, prepared.runID, sink.log(prepared.runID))
  }

  @Test("every page, from every position, is the sent events in order, across the batches they were sent in")
  func pages() async throws {
    let (runs, runID, sent) = try await endedRun()
    #expect(sent.count == 2 + 3 * 70)
    for afterSeq in -2...(sent.count + 2) {
      for limit in [1, 2, 5, 64, sent.count + 10] {
        let page = try runs.events(runID, afterSeq: afterSeq, limit: limit)
        let first = max(afterSeq, 0)
        let expected = Array(sent[min(first, sent.count)..<min(first + limit, sent.count)])
        #expect(page.events.map(\.seq) == expected.map { $0["params"]?["seq"]?.intValue ?? -1 })
        #expect(page.events.map { try! JSONParser.parse(RunEventEncoder.encode(runID: runID, $0)) } == expected)
        #expect(page.ended)
      }
    }
  }
}
