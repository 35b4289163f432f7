import FlowExecution
import FlowGraph
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
