import FakeProvider
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

/// Protocol 1.1 §6.2 against the built binary: client-chosen run ids, `seq` and `progress`,
/// `execution.list`, `execution.events`, and the per-run output controls.
@Suite("Runs a client can follow and resume, against the built binary")
struct RunFollowingTests {
  static func flow(_ name: String, _ members: JSONObject) throws -> JSONValue {
    guard case .object(var object) = try FixtureFiles.json("flows/\(name).json") else { return .null }
    for (key, value) in members.members { object[key] = value }
    return .object(object)
  }

  /// Node ids with no outgoing edge.
  static func sinks(of flow: JSONValue) -> Set<String> {
    let ids = (flow["nodes"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    let sources = Set((flow["edges"]?.arrayValue ?? []).compactMap { $0["source"]?.stringValue })
    return Set(ids.filter { !sources.contains($0) })
  }

  @Test("a client-chosen run_id is used; a taken one and a malformed one are -32602 naming run_id")
  func clientRunIDs() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize()
    let chosen = "editor:tab-1.run_7"
    let flow = try Self.flow("scene-prompt", ["run_id": .string(chosen)])
    let started = try await peer.request("execution.start", id: 1, params: flow)
    #expect(started["result"]?["run_id"] == .string(chosen))
    let (log, _) = try await peer.collectRun(chosen)
    try EventLogChecker(flow: flow).check(log)
    // Taken: remembered after it ended.
    let again = try await peer.request("execution.start", id: 2, params: flow)
    expectError(again, code: -32602, id: 2)
    #expect(again["error"]?["message"]?.stringValue?.contains("run_id") == true)
    for bad: JSONValue in ["", .string(String(repeating: "a", count: 129)), "a b", "tab/1", "é", 7, ["x"]] {
      let refused = try await peer.request("execution.start", id: 3, params: try Self.flow("scene-prompt", ["run_id": bad]))
      expectError(refused, code: -32602, id: 3)
      #expect(refused["error"]?["message"]?.stringValue?.contains("params.run_id") == true, "\(bad): \(refused)")
    }
    // 128 characters of every allowed kind is fine; without run_id the engine chooses one.
    let longest = String(repeating: "aZ09._:-", count: 16)
    let accepted = try await peer.request(
      "execution.start", id: 4, params: try Self.flow("scene-prompt", ["run_id": .string(longest)]))
    #expect(accepted["result"]?["run_id"] == .string(longest))
    _ = try await peer.collectRun(longest)
    let chosenByEngine = try await peer.request("execution.start", id: 5, params: try Self.flow("scene-prompt", [:]))
    let engineID = try #require(chosenByEngine["result"]?["run_id"]?.stringValue)
    #expect(engineID != chosen && engineID != longest)
    _ = try await peer.collectRun(engineID)
    #expect(try await peer.messagesBeforePing().isEmpty)
    await peer.finish()
  }

  @Test("options.events: nodes drops pending and running; terminal sends started and the end; seq counts what is sent")
  func eventDetail() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize()
    let nodes = try Self.flow("fan-out-fan-in", ["run_id": "nodes", "options": ["events": "nodes"]])
    _ = try await peer.request("execution.start", id: 1, params: nodes)
    let (nodesLog, _) = try await peer.collectRun("nodes")
    let statuses = nodesLog.compactMap { $0["params"]?["status"]?.stringValue }
    #expect(!statuses.contains("pending") && !statuses.contains("running"), "\(statuses)")
    let nodeIDs = try #require(nodesLog.first?["params"]?["node_ids"]?.arrayValue)
    #expect(nodesLog.count == nodeIDs.count + 2)
    #expect(nodesLog.map { $0["params"]?["seq"]?.intValue } == Array(1...nodesLog.count).map(Optional.some))
    let progress = nodesLog.compactMap { $0["params"]?["progress"]?["done"]?.intValue }
    #expect(progress == Array(1...nodeIDs.count))

    let terminal = try Self.flow("fan-out-fan-in", ["run_id": "terminal", "options": ["events": "terminal"]])
    _ = try await peer.request("execution.start", id: 2, params: terminal)
    let (terminalLog, _) = try await peer.collectRun("terminal")
    #expect(terminalLog.map { $0["method"]?.stringValue ?? "" } == ["execution.started", "execution.completed"])
    #expect(terminalLog.map { $0["params"]?["seq"]?.intValue } == [1, 2])
    #expect(terminalLog.last?["params"]?["outputs"] == nodesLog.last?["params"]?["outputs"])
    // The run went through every node all the same.
    let listed = try await peer.request("execution.list", id: 3, params: ["limit": 1])
    #expect(listed["result"]?["runs"]?.arrayValue?.first?["done"]?.intValue == nodeIDs.count)

    let bad = try await peer.request(
      "execution.start", id: 4, params: try Self.flow("fan-out-fan-in", ["options": ["events": "some"]]))
    expectError(bad, code: -32602, id: 4)
    #expect(bad["error"]?["message"]?.stringValue?.contains("params.options.events") == true)
    await peer.finish()
  }

  @Test("options.terminal_outputs: sinks keeps only nodes without outgoing edges; none keeps nothing")
  func terminalOutputs() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize()
    let all = try Self.flow("fan-out-fan-in", ["run_id": "all"])
    _ = try await peer.request("execution.start", id: 1, params: all)
    let allOutputs = try #require(try await peer.collectRun("all").run.last?["params"]?["outputs"]?.objectValue)
    let sinks = try Self.flow("fan-out-fan-in", ["run_id": "sinks", "options": ["terminal_outputs": "sinks"]])
    _ = try await peer.request("execution.start", id: 2, params: sinks)
    let (sinksLog, _) = try await peer.collectRun("sinks")
    let sinkOutputs = try #require(sinksLog.last?["params"]?["outputs"]?.objectValue)
    #expect(Set(sinkOutputs.keys) == Self.sinks(of: all))
    #expect(sinkOutputs.keys.count < allOutputs.keys.count)
    for key in sinkOutputs.keys { #expect(sinkOutputs[key] == allOutputs[key]) }
    // Node events still carry every output; execution.status still has them all.
    #expect(sinksLog.filter { $0["method"] == "execution.node.completed" }.count == allOutputs.keys.count)
    let status = try await peer.request("execution.status", id: 3, params: ["run_id": "sinks"])
    #expect(status["result"]?["outputs"]?.objectValue?.keys.count == allOutputs.keys.count)
    let none = try Self.flow("fan-out-fan-in", ["run_id": "none", "options": ["terminal_outputs": "none"]])
    _ = try await peer.request("execution.start", id: 4, params: none)
    #expect(try await peer.collectRun("none").run.last?["params"]?["outputs"] == .object([:]))
    await peer.finish()
  }

  @Test("execution.events gives back a run's notifications exactly as sent, from any seq, in pages")
  func events() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize()
    let flow = try Self.flow("persona-scene-prompt", ["run_id": "replay", "options": ["stream": true]])
    _ = try await peer.request("execution.start", id: 1, params: flow)
    let (log, _) = try await peer.collectRun("replay")
    let sent = log.map { JSONValue.object(["method": $0["method"] ?? .null, "params": $0["params"] ?? .null]) }
    let whole = try await peer.request("execution.events", id: 2, params: ["run_id": "replay"])
    #expect(whole["result"]?["run_id"] == "replay")
    #expect(whole["result"]?["ended"] == true)
    #expect(whole["result"]?["events"]?.arrayValue == sent)
    // Pages: after_seq and limit.
    let page = try await peer.request("execution.events", id: 3, params: ["run_id": "replay", "after_seq": 3, "limit": 2])
    #expect(page["result"]?["events"]?.arrayValue == Array(sent[3..<5]))
    let past = try await peer.request("execution.events", id: 4, params: ["run_id": "replay", "after_seq": 10_000])
    #expect(past["result"]?["events"]?.arrayValue == [])
    #expect(past["result"]?["ended"] == true)
    // Positional params, like every method.
    let positional = try await peer.request("execution.events", id: 5, params: ["replay", 0, 1])
    #expect(positional["result"]?["events"]?.arrayValue == [sent[0]])
    let unknown = try await peer.request("execution.events", id: 6, params: ["run_id": "nope"])
    expectError(unknown, code: -32004, id: 6)
    for bad: JSONValue in [["run_id": "replay", "after_seq": -1], ["run_id": "replay", "limit": 0], ["after_seq": 1]] {
      let refused = try await peer.request("execution.events", id: 7, params: bad)
      expectError(refused, code: -32602, id: 7)
    }
    await peer.finish()
  }

  @Test("execution.list: live runs first, then ended ones, most recent first; state and limit filter")
  func list() async throws {
    let (server, peer, live) = try await LifecycleEndToEndTests.startSlowRun(count: 1)
    for name in ["first", "second"] {
      _ = try await peer.request("execution.start", id: 3, params: try Self.flow("scene-prompt", ["run_id": .string(name)]))
      _ = try await peer.collectRun(name)
    }
    let listed = try await peer.request("execution.list", id: 4)
    let runs = try #require(listed["result"]?["runs"]?.arrayValue)
    #expect(runs.map { $0["run_id"]?.stringValue ?? "" } == [live, "second", "first"])
    #expect(runs[0]["state"] == "running")
    #expect(runs[0]["total"] == 2)
    #expect((runs[0]["done"]?.intValue ?? 9) < 2)
    #expect(runs[1]["state"] == "completed")
    #expect(runs[1]["flow_id"] == "scene-prompt")
    #expect(runs[1]["total"] == 3 && runs[1]["done"] == 3)
    #expect(runs[1]["duration_ms"]?.intValue != nil)
    let completed = try await peer.request("execution.list", id: 5, params: ["state": "completed", "limit": 1])
    #expect(completed["result"]?["runs"]?.arrayValue?.map { $0["run_id"] } == ["second"])
    let bad = try await peer.request("execution.list", id: 6, params: ["state": "done"])
    expectError(bad, code: -32602, id: 6)
    try peer.sendLSP(requestBody("execution.cancel", id: 7, params: ["run_id": .string(live)]))
    let (log, _) = try await peer.collectRun(live)
    #expect(log.last?["method"] == "execution.cancelled")
    // The cancel's answer may arrive before or after the run's last notification.
    try peer.sendLSP(requestBody("execution.list", id: 8, params: ["state": "cancelled"]))
    var after = try await peer.next()
    while after["id"] != 8 { after = try await peer.next() }
    #expect(after["result"]?["runs"]?.arrayValue?.first?["run_id"] == .string(live))
    #expect(after["result"]?["runs"]?.arrayValue?.first?["done"] == 2)
    await peer.finish()
    await server.stop()
  }
}
