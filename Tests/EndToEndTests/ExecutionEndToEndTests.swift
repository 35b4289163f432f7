import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

@Suite("Execution against the built binary")
struct ExecutionEndToEndTests {
  func withOptions(_ flow: JSONValue, _ options: JSONValue) -> JSONValue {
    guard case .object(var object) = flow else { return flow }
    object["options"] = options
    return .object(object)
  }

  @Test("every fixture flow runs, keeps the invariants, and matches its golden log", arguments: FixtureFiles.validFlows)
  func fixture(_ name: String) async throws {
    let flow = try FixtureFiles.json("flows/\(name).json")
    let peer = try ProcessPeer()
    try await peer.initialize()
    // Deterministic order for the golden comparison.
    let started = try await peer.request("execution.start", id: 1, params: withOptions(flow, ["max_concurrency": 1]))
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    let (log, other) = try await peer.collectRun(runID)
    #expect(other.isEmpty)
    try EventLogChecker(flow: flow, maxConcurrency: 1).check(log)
    let golden = try FixtureFiles.ndjson("golden/\(name).ndjson")
    #expect(log.map(FixtureFiles.normalized) == golden)
    // Again with full concurrency: the invariants hold and the outputs are the same.
    let second = try await peer.request("execution.start", id: 2, params: flow)
    let secondID = try #require(second["result"]?["run_id"]?.stringValue)
    let (concurrentLog, _) = try await peer.collectRun(secondID)
    let summary = try EventLogChecker(flow: flow).check(concurrentLog)
    #expect(summary.terminal["outputs"] == log.last?["params"]?["outputs"])
    let status = try await peer.request("execution.status", id: 3, params: ["run_id": .string(secondID)])
    #expect(status["result"]?["state"] == "completed")
    #expect(status["result"]?["outputs"] == summary.terminal["outputs"])
    await peer.finish()
  }

  @Test("every invalid fixture is refused with all its issues", arguments: FixtureFiles.invalidFlows)
  func invalidFixture(_ name: String) async throws {
    let flow = try FixtureFiles.json("flows/invalid/\(name).json")
    let expected = try #require(try FixtureFiles.json("flows/invalid/\(name).issues.json").arrayValue)
    let peer = try ProcessPeer()
    try await peer.initialize()
    let refused = try await peer.request("execution.start", id: 1, params: flow)
    expectError(refused, code: -32602, id: 1)
    let issues = try #require(refused["error"]?["data"]?["issues"]?.arrayValue)
    let validated = try await peer.request("flow.validate", id: 2, params: flow)
    #expect(validated["result"]?["valid"] == false)
    #expect(validated["result"]?["issues"]?.arrayValue == issues)
    #expect(issues.count == expected.count, "\(issues)")
    for (issue, want) in zip(issues, expected) {
      for (key, value) in want.objectValue?.members ?? JSONObject().members {
        #expect(issue[key] == value, "\(key) of \(issue)")
      }
      #expect(issue["message"]?.stringValue?.isEmpty == false)
    }
    // Nothing ran: no notification arrives.
    #expect(try await peer.messagesBeforePing().isEmpty)
    await peer.finish()
  }

  @Test("execution.start and shutdown in one write: started, one terminal, then the shutdown answer")
  func startThenShutdown() async throws {
    let flow = try FixtureFiles.json("flows/long-chain.json")
    for _ in 0..<5 {
      let peer = try ProcessPeer()
      try await peer.initialize()
      try peer.send(lspFrame(requestBody("execution.start", id: 1, params: flow)) + lspFrame(requestBody("shutdown", id: 2)))
      let response = try await peer.next()
      let runID = try #require(response["result"]?["run_id"]?.stringValue)
      let (log, other) = try await peer.collectRun(runID)
      try EventLogChecker(flow: flow).check(log)
      let shutdown = other.isEmpty ? try await peer.next() : other[0]
      #expect(shutdown["id"] == 2)
      #expect(shutdown["result"] == .null)
      try peer.sendLSP(notificationBody("exit"))
      #expect(try await peer.waitForExit(timeout: .seconds(2)) == 0)
    }
  }

  @Test("execution.cancel right after the start answer: started and exactly one terminal")
  func startThenCancel() async throws {
    let nodes: [JSONValue] = (0..<3000).map { ["id": .string("n\($0)"), "type": "textOutput"] }
    let edges: [JSONValue] = (1..<3000).map { ["source": .string("n\($0 - 1)"), "target": .string("n\($0)")] }
    let flow: JSONValue = ["nodes": .array(nodes), "edges": .array(edges)]
    let peer = try ProcessPeer()
    try await peer.initialize()
    let response = try await peer.request("execution.start", id: 1, params: flow)
    let runID = try #require(response["result"]?["run_id"]?.stringValue)
    try peer.sendLSP(requestBody("execution.cancel", id: 2, params: ["run_id": .string(runID)]))
    let (log, other) = try await peer.collectRun(runID)
    let summary = try EventLogChecker(flow: flow).check(log)
    var cancelAnswer = other.first { $0["id"] == 2 }
    if cancelAnswer == nil { cancelAnswer = try await peer.next() }
    let cancelled = try #require(cancelAnswer?["result"]?["cancelled"]?.boolValue as Bool?)
    #expect(summary.terminalMethod == (cancelled ? "execution.cancelled" : "execution.completed"))
    let again = try await peer.request("execution.cancel", id: 3, params: [.string(runID)])
    #expect(again["result"]?["cancelled"] == false)
    let unknown = try await peer.request("execution.cancel", id: 4, params: ["run_id": "run-nope"])
    expectError(unknown, code: -32004, id: 4)
    let unknownStatus = try await peer.request("execution.status", id: 5, params: ["run_id": "run-nope"])
    expectError(unknownStatus, code: -32004, id: 5)
    await peer.finish()
  }

  @Test("many concurrent runs on one connection stay independent")
  func concurrentRuns() async throws {
    let names = FixtureFiles.validFlows
    let peer = try ProcessPeer()
    try await peer.initialize()
    var bytes: [UInt8] = []
    for (position, name) in (names + names + names).enumerated() {
      bytes += lspFrame(
        requestBody("execution.start", id: .int(100 + position), params: try FixtureFiles.json("flows/\(name).json")))
    }
    try peer.send(bytes)
    var runFlow: [String: String] = [:]
    var logs: [String: [JSONValue]] = [:]
    var ended = 0
    while ended < names.count * 3 {
      let message = try await peer.next()
      if let id = message["id"]?.intValue, let runID = message["result"]?["run_id"]?.stringValue {
        runFlow[runID] = (names + names + names)[id - 100]
        continue
      }
      let runID = try #require(message["params"]?["run_id"]?.stringValue)
      #expect(runFlow[runID] != nil, "a notification before its run's start answer")
      logs[runID, default: []].append(message)
      if message["method"]?.stringValue?.hasPrefix("execution.") == true,
        message["method"]?.stringValue?.contains("node") == false,
        message["method"] != "execution.started"
      {
        ended += 1
      }
    }
    for (runID, log) in logs {
      try EventLogChecker(flow: try FixtureFiles.json("flows/\(runFlow[runID]!).json")).check(log)
    }
    await peer.finish()
  }

  @Test("nodes.list describes every node type for a palette")
  func nodesList() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize()
    let response = try await peer.request("nodes.list", id: 1)
    let types = try #require(response["result"]?["node_types"]?.arrayValue)
    // Only node types that execute are advertised.
    #expect(
      types.map { $0["type"]?.stringValue ?? "" } == [
        "consistentCharacter", "sceneBuilder", "textOutput", "initialPrompt", "promptEnhancer", "translator",
        "storyTeller", "grammarFix", "compressor", "personasReplacer", "imageDescriber", "imageGenerator",
      ])
    let translator = try #require(types.first { $0["type"] == "translator" })
    #expect(translator["calls_provider"] == true)
    #expect(translator["inputs"] == ["text"])
    let language = try #require(translator["data_fields"]?.arrayValue?.first { $0["name"] == "language" })
    #expect(language["values"]?.arrayValue?.count == 28)
    #expect(language["required"] == true)
    let scene = try #require(types.first { $0["type"] == "sceneBuilder" })
    #expect(
      scene["data_fields"]?.arrayValue?.map { $0["name"]! } == [
        "setting", "lighting", "camera", "mood", "style", "timeOfDay", "weather",
      ])
    await peer.finish()
  }
}
