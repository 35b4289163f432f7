import FlowExecution
import FlowGraph
import FlowRunnerTestSupport
import JSON
import JSONRPC
import Testing

@testable import FlowRunnerServer

@Suite("Notification framer")
struct NotificationFramerTests {
  @Test("a terminal notification reuses the outputs its run's nodes sent, byte for byte as if encoded afresh")
  func terminalReusesOutputs() throws {
    let plain = NodeOutput(text: "line\n\"quoted\" ünïcode \u{1}")
    let rich = NodeOutput(
      text: "x", model: ModelChoice(providerID: "echo", model: "echo-1", source: .node),
      usage: TokenUsage(inputTokens: 3, outputTokens: 4))
    let batches: [[RunEvent]] = [
      [.started(flowID: "f", nodeIDs: ["a", "b", "c"], reusedNodeIDs: []), .nodeStatus(nodeID: "a", status: .pending)],
      [.nodeCompleted(nodeID: "a", output: plain, cached: false, durationMS: 1)],
      [.nodeCompleted(nodeID: "b", output: rich, cached: false, durationMS: 2)],
      // `c` never sent its output (as with options.events "terminal"): encoded afresh.
      [.completed(outputs: [("a", plain), ("b", rich), ("c", NodeOutput(text: "c"))], durationMS: 5, usage: RunUsage())],
    ]
    for framing in [Framing.lsp, .ndjson] {
      let framer = NotificationFramer()
      var seq = 0
      var reused: [UInt8] = []
      var fresh: [UInt8] = []
      for (position, batch) in batches.enumerated() {
        let sent = batch.map { event in
          seq += 1
          return SequencedEvent(seq: seq, event: event)
        }
        framer.append(runID: "run-1", sent, framing: framing, to: &reused)
        for event in sent { framing.append(RunEventEncoder.encode(runID: "run-1", event), to: &fresh) }
        // Outputs are kept from the first completed node until the terminal notification.
        #expect(framer.runsKept == (position == 1 || position == 2 ? 1 : 0))
      }
      #expect(reused == fresh)
      let terminal = try JSONParser.parse(RunEventEncoder.encode(runID: "run-1", SequencedEvent(seq: 5, event: batches[3][0])))
      #expect(terminal["params"]?["outputs"]?["a"]?["text"] == .string(plain.text ?? ""))
      #expect(terminal["params"]?["outputs"]?["b"]?["usage"]?["output_tokens"] == 4)
    }
  }

  @Test(
    "node notifications written through a pointer are byte for byte those encoded piece by piece, in batches mixed with others",
    arguments: 0..<40)
  func nodeFramesMatchPieceByPiece(seed: Int) {
    var generator = SplitMix64(seed: UInt64(seed) &+ 77)
    func pick<T>(_ choices: [T]) -> T { choices[Int(generator.next() % UInt64(choices.count))] }
    func number() -> Int { pick([0, 1, 9, 10, 99, 100, 999, 1000, 123_456, Int.max, Int.min, -1]) }
    func text() -> String {
      let pieces = [
        "", "a", "node-7", "é", "😀", "\"", "\\", "\n", "\u{1}", "\u{1f}", "},{", String(repeating: "long text ", count: 120),
      ]
      return (0..<Int(generator.next() % 4)).map { _ in pick(pieces) }.joined()
    }
    var events: [RunEvent] = []
    for _ in 0..<Int(generator.next() % 60) + 1 {
      switch generator.next() % 7 {
      case 0, 1:
        events.append(
          .nodeStatus(
            nodeID: text(), status: pick([.pending, .running, .retrying, .waiting, .completed, .failed, .skipped, .cancelled]),
            reason: pick([nil, "upstream_failed", text()]), attempt: pick([nil, 1, number()])))
      case 2: events.append(.nodeDelta(nodeID: text(), attempt: number(), index: number(), text: text()))
      case 3, 4:
        var output = NodeOutput(text: text())
        if generator.next() % 3 == 0 { output.cacheKey = text() }
        if generator.next() % 5 == 0 { output.usage = TokenUsage(inputTokens: 1, outputTokens: 2) }
        events.append(.nodeCompleted(nodeID: text(), output: output, cached: generator.next() % 2 == 0, durationMS: number()))
      case 5: events.append(.nodeFailed(nodeID: text(), error: NodeError(.invalidData, text())))
      default: events.append(.started(flowID: text(), nodeIDs: [text(), text()], reusedNodeIDs: []))
      }
    }
    let sent = events.enumerated().map { position, event in
      SequencedEvent(
        seq: pick([position + 1, number()]), event: event,
        progress: generator.next() % 2 == 0 ? RunProgress(done: number(), total: number()) : nil)
    }
    let runID = pick(["run-1", "r", "ünï \"run\""])
    for framing in [Framing.lsp, .ndjson] {
      var written: [UInt8] = Array("already there".utf8)
      var bodies: [Range<Int>] = []
      NotificationFramer().append(runID: runID, sent, framing: framing, to: &written) { bodies.append($0) }
      var expected: [UInt8] = Array("already there".utf8)
      var expectedBodies: [[UInt8]] = []
      for event in sent {
        let body = RunEventEncoder.encode(runID: runID, event)
        expectedBodies.append(body)
        framing.append(body, to: &expected)
      }
      #expect(written == expected)
      #expect(bodies.map { Array(written[$0]) } == expectedBodies)
    }
  }

  @Test("outputs listed in another order than the nodes completed in are still copied, each to its node")
  func terminalInAnotherOrder() {
    let outputs = ["a", "b", "c", "d"].map { ($0, NodeOutput(text: "output of \($0)")) }
    let completions = [outputs[2], outputs[0], outputs[3], outputs[1]].map { id, output in
      RunEvent.nodeCompleted(nodeID: id, output: output, cached: false, durationMS: 0)
    }
    let events = completions + [.completed(outputs: outputs, durationMS: 1, usage: RunUsage())]
    let sent = events.enumerated().map { SequencedEvent(seq: $0.offset + 1, event: $0.element) }
    let framer = NotificationFramer()
    var reused: [UInt8] = []
    var fresh: [UInt8] = []
    for event in sent {
      framer.append(runID: "run-1", [event], framing: .ndjson, to: &reused)
      Framing.ndjson.append(RunEventEncoder.encode(runID: "run-1", event), to: &fresh)
    }
    #expect(reused == fresh)
    #expect(framer.runsKept == 0)
  }

  @Test("runs on one framer keep their outputs apart")
  func runsApart() {
    let framer = NotificationFramer()
    var out: [UInt8] = []
    framer.append(
      runID: "r1",
      [SequencedEvent(seq: 1, event: .nodeCompleted(nodeID: "n", output: NodeOutput(text: "one"), cached: false, durationMS: 0))],
      framing: .ndjson, to: &out)
    framer.append(
      runID: "r2",
      [SequencedEvent(seq: 1, event: .nodeCompleted(nodeID: "n", output: NodeOutput(text: "two"), cached: false, durationMS: 0))],
      framing: .ndjson, to: &out)
    #expect(framer.runsKept == 2)
    out.removeAll()
    framer.append(
      runID: "r1",
      [SequencedEvent(seq: 2, event: .completed(outputs: [("n", NodeOutput(text: "one"))], durationMS: 0, usage: RunUsage()))],
      framing: .ndjson, to: &out)
    #expect(String(decoding: out, as: UTF8.self).contains(#""outputs":{"n":{"text":"one"}}"#))
    #expect(framer.runsKept == 1)
  }
}
