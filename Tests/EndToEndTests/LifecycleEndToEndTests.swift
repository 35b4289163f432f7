import FakeProvider
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

/// The serving process's lifecycle: signals, end of input, and staying responsive while a large
/// request is being worked on.
@Suite("Lifecycle and responsiveness, against the built binary")
struct LifecycleEndToEndTests {
  /// A flow of `count` provider calls that each take `latencyMS` at the fake server.
  static func slowFlow(count: Int, latencyMS: Int, provider: String = "mistral") -> JSONValue {
    [
      "flow_id": "slow", "provider_id": .string(provider),
      "nodes": .array(
        (0..<count).flatMap { index -> [JSONValue] in
          [
            ["id": .string("p\(index)"), "type": "initialPrompt", "data": ["text": .string("fake-latency-ms=\(latencyMS)")]],
            ["id": .string("e\(index)"), "type": "promptEnhancer", "data": ["providerId": .string(provider)]],
          ]
        }),
      "edges": .array((0..<count).map { ["source": .string("p\($0)"), "target": .string("e\($0)")] }),
    ]
  }

  /// A served engine on the fake provider, running `slowFlow(count:)` with 20 s provider calls.
  static func startSlowRun(count: Int) async throws -> (FakeProviderServer, ProcessPeer, String) {
    let server = try await FakeProviderServer.start()
    let peer = try ProcessPeer(
      options: PeerOptions(environment: providerEnvironment("mistral", server: server, key: "sk-slow")))
    try await peer.initialize()
    let started = try await peer.request("execution.start", id: 2, params: slowFlow(count: count, latencyMS: 20_000))
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    return (server, peer, runID)
  }

  @Test("SIGTERM ends a busy engine cleanly: terminal notifications, exit 0, within a second")
  func sigterm() async throws {
    let (server, peer, runID) = try await Self.startSlowRun(count: 4)
    // Wait until the provider calls are in flight.
    var running = 0
    while running < 4 {
      let message = try await peer.next(timeout: .seconds(10))
      if message["method"] == "execution.node.status", message["params"]?["status"] == "running",
        message["params"]?["node_id"]?.stringValue?.hasPrefix("e") == true
      {
        running += 1
      }
    }
    let clock = ContinuousClock()
    let signalled = clock.now
    kill(peer.processID, SIGTERM)
    let code = try await peer.waitForExit(timeout: .seconds(5))
    let elapsed = clock.now - signalled
    #expect(code == 0)
    // The one second is a benchmark figure; here only a hang fails.
    #expect(elapsed < .seconds(5), "exit took \(elapsed)")
    try await peer.output.waitUntilClosed()
    let rest = try await peer.output.drain(after: .zero)
    let terminal = rest.first { $0["method"] == "execution.cancelled" }
    #expect(terminal?["params"]?["run_id"] == .string(runID), "\(rest)")
    #expect(rest.last?["method"] == "execution.cancelled")
    await server.stop()
  }

  @Test("--on-eof drain: a piped request file runs to completion before the process exits")
  func drainOnEOF() async throws {
    let peer = try ProcessPeer(options: PeerOptions(extraArguments: ["--on-eof", "drain"]))
    let flow = try FixtureFiles.json("flows/persona-scene-prompt.json")
    var params = try #require(flow.objectValue)
    params["provider_id"] = "echo"
    let requests: [JSONValue] = [
      ["jsonrpc": "2.0", "id": 1, "method": "initialize"],
      ["jsonrpc": "2.0", "id": 2, "method": "execution.start", "params": .object(params)],
    ]
    for request in requests { try peer.sendLine(request.description) }
    peer.closeInput()
    #expect(try await peer.waitForExit(timeout: .seconds(10)) == 1)  // no shutdown was sent
    try await peer.output.waitUntilClosed()
    let messages = try await peer.output.drain(after: .zero)
    #expect(messages.last?["method"] == "execution.completed", "\(messages.suffix(3))")
  }

  @Test("without --on-eof the end of input cancels live runs")
  func cancelOnEOF() async throws {
    let (server, peer, _) = try await Self.startSlowRun(count: 1)
    peer.closeInput()
    #expect(try await peer.waitForExit(timeout: .seconds(5)) == 1)
    try await peer.output.waitUntilClosed()
    let messages = try await peer.output.drain(after: .zero)
    #expect(messages.last?["method"] == "execution.cancelled")
    await server.stop()
  }

  /// The text of a `count`-node chain flow whose nodes carry `padding` bytes of label each,
  /// built as bytes (a JSON tree or string interpolation of this size is slow in a debug build).
  static func chainText(count: Int, padding: Int) -> [UInt8] {
    let label = [UInt8](repeating: UInt8(ascii: "x"), count: padding)
    var text: [UInt8] = []
    text.reserveCapacity(count * (padding + 120))
    text += Array(#"{"nodes":["#.utf8)
    let nodeStart = Array(#"{"id":"node-"#.utf8)
    let nodeMiddle = Array(#"","type":"textOutput","data":{"label":""#.utf8)
    let nodeEnd = Array(#""}}"#.utf8)
    for index in 0..<count {
      if index > 0 { text.append(UInt8(ascii: ",")) }
      text += nodeStart
      text += Array(String(index).utf8)
      text += nodeMiddle
      text += label
      text += nodeEnd
    }
    text += Array(#"],"edges":["#.utf8)
    let edgeStart = Array(#"{"source":"node-"#.utf8)
    let edgeMiddle = Array(#"","target":"node-"#.utf8)
    let edgeEnd = Array(#""}"#.utf8)
    for index in 1..<count {
      if index > 1 { text.append(UInt8(ascii: ",")) }
      text += edgeStart
      text += Array(String(index - 1).utf8)
      text += edgeMiddle
      text += Array(String(index).utf8)
      text += edgeEnd
    }
    text += Array("]}".utf8)
    return text
  }

  @Test("a ping behind a 20 MB flow.validate is answered before it")
  func pingDuringLargeValidate() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize(framing: .ndjson)
    let params = Self.chainText(count: 60_000, padding: 250)
    let validate = Array(#"{"jsonrpc":"2.0","id":2,"method":"flow.validate","params":"#.utf8) + params + Array("}\n".utf8)
    try await peer.sendLarge(validate + Array(#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#.utf8) + [0x0A])
    let first = try await peer.next(timeout: .seconds(60))
    #expect(first["id"] == 3, "the ping waited behind the validation")
    let second = try await peer.next(timeout: .seconds(60))
    #expect(second["id"] == 2)
    #expect(second["result"]?["valid"] == true)
    await peer.finish()
  }

  @Test(
    "$/cancelRequest reaches an execution.start still being parsed: -32800 and no run",
    arguments: [false, true])
  func cancelLargeStart(idAfterParams: Bool) async throws {
    let peer = try ProcessPeer()
    try await peer.initialize(framing: .ndjson)
    // With the id after megabytes of params, it cannot be read before the whole message is.
    let start =
      idAfterParams
      ? Array(#"{"jsonrpc":"2.0","method":"execution.start","params":"#.utf8)
        + Self.chainText(count: 20_000, padding: 40) + Array(#","id":"big"}"#.utf8) + [0x0A]
      : Array(#"{"jsonrpc":"2.0","id":"big","method":"execution.start","params":"#.utf8)
        + Self.chainText(count: 20_000, padding: 40) + Array("}\n".utf8)
    let rest =
      #"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"big"}}"# + "\n"
      + #"{"jsonrpc":"2.0","id":"after","method":"ping"}"# + "\n"
    try await peer.sendLarge(start + Array(rest.utf8))
    var answers: [JSONValue] = []
    while answers.count < 2 { answers.append(try await peer.next(timeout: .seconds(30))) }
    let cancelled = try #require(answers.first { $0["id"] == "big" })
    #expect(cancelled["error"]?["code"] == -32800, "\(cancelled)")
    // No run was created: nothing else arrives.
    #expect(try await peer.messagesBeforePing(framing: .ndjson).isEmpty)
    await peer.finish()
  }

  @Test("a malformed message behind a large one still being read is answered after it")
  func malformedKeepsOrder() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize(framing: .ndjson)
    // An unknown method is answered as soon as it is routed, so the answers' order is the
    // order in which the messages were handed on.
    let unknown =
      Array(#"{"jsonrpc":"2.0","id":2,"method":"no.such.method","params":"#.utf8)
      + Self.chainText(count: 20_000, padding: 40) + Array("}\n".utf8)
    try await peer.sendLarge(unknown + Array("{not json\n".utf8))
    expectError(try await peer.next(timeout: .seconds(30)), code: -32601, id: 2)
    expectError(try await peer.next(timeout: .seconds(30)), code: -32700)
    await peer.finish()
  }

  @Test("an oversized frame's error carries the request id read from its first bytes")
  func oversizedID() async throws {
    let peer = try ProcessPeer(options: PeerOptions(maxMessageBytes: 1000))
    try await peer.initialize(framing: .lsp)
    let big =
      #"{"jsonrpc":"2.0","id":77,"method":"flow.validate","params":{"nodes":[],"pad":""#
      + String(repeating: "z", count: 5000) + #""}}"#
    try peer.sendLSP(big)
    let answer = try await peer.next()
    #expect(answer["id"] == 77)
    #expect(answer["error"]?["code"] == -32600)
    try peer.sendLSP(#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#)
    #expect(try await peer.next()["id"] == 5)
    await peer.finish()
  }

  @Test("an unread stderr never stalls the engine: log lines are dropped, requests answered")
  func unreadStandardError() async throws {
    let peer = try ProcessPeer(options: PeerOptions(framing: .ndjson, readsStandardError: false))
    try await peer.initialize(framing: .ndjson)
    // Each unknown notification logs a debug line: far more than a pipe holds.
    let noise = String(repeating: #"{"jsonrpc":"2.0","method":"noise/unknown","params":{}}"# + "\n", count: 40_000)
    try await peer.sendLarge(Array(noise.utf8))
    try peer.sendLine(#"{"jsonrpc":"2.0","id":"alive","method":"ping"}"#)
    let answer = try await peer.next(timeout: .seconds(10))
    #expect(answer["id"] == "alive")
    #expect(answer["result"] == [:])
    await peer.finish()
  }

  @Test("a batch over 10,000 elements is one -32600, counted without being built; the engine keeps serving")
  func oversizedBatch() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize(framing: .ndjson)
    var batch: [UInt8] = [UInt8(ascii: "[")]
    batch.reserveCapacity(2_000_010)
    for index in 0..<1_000_000 {
      if index > 0 { batch.append(UInt8(ascii: ",")) }
      batch.append(UInt8(ascii: "1"))
    }
    batch += Array("]\n".utf8)
    try await peer.sendLarge(batch + Array(#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#.utf8) + [0x0A])
    // The ping does not wait for the batch being read (it may come first).
    let answers = [try await peer.next(timeout: .seconds(30)), try await peer.next(timeout: .seconds(30))]
    let refused = try #require(answers.first { $0["error"] != nil })
    #expect(refused["error"]?["code"] == -32600)
    #expect(refused["error"]?["message"]?.stringValue?.contains("1000000 messages exceeds the limit of 10000") == true)
    #expect(answers.contains { $0["id"] == "after" })
    // A batch at the limit is answered element by element, in one array.
    let limit = "[" + Array(repeating: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, count: 10_000).joined(separator: ",") + "]"
    try await peer.sendLarge(Array((limit + "\n").utf8))
    #expect(try await peer.next(timeout: .seconds(30)).arrayValue?.count == 10_000)
    await peer.finish()
  }

  @Test("--max-batch sets the batch limit; zero or less is a usage error")
  func batchLimitOption() async throws {
    let peer = try ProcessPeer(options: PeerOptions(framing: .ndjson, extraArguments: ["--max-batch", "3"]))
    let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
    try peer.sendLine("[" + Array(repeating: ping, count: 4).joined(separator: ",") + "]")
    let refused = try await peer.next()
    #expect(refused["error"]?["code"] == -32600)
    #expect(refused["error"]?["message"]?.stringValue?.contains("4 messages exceeds the limit of 3") == true)
    try peer.sendLine("[" + Array(repeating: ping, count: 3).joined(separator: ",") + "]")
    #expect(try await peer.next().arrayValue?.count == 3)
    await peer.finish()
    let invalid = try ProcessPeer(arguments: ["serve", "--max-batch", "0"])
    #expect(try await invalid.waitForExit(timeout: .seconds(10)) == 2)
    #expect(String(decoding: invalid.standardError, as: UTF8.self).contains("--max-batch must be positive"))
    await invalid.finish()
  }

  @Test("execution.start and shutdown in one batch: both answered, the run ends cancelled or completed")
  func startAndShutdownInOneBatch() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize(framing: .ndjson)
    let start: JSONValue = [
      "jsonrpc": "2.0", "id": 1, "method": "execution.start",
      "params": ["provider_id": "echo", "nodes": [["id": "p", "type": "initialPrompt", "data": ["text": "x"]]]],
    ]
    let shutdown: JSONValue = ["jsonrpc": "2.0", "id": 2, "method": "shutdown"]
    try peer.sendLine(JSONValue.array([start, shutdown]).description)
    var batch: [JSONValue]?
    var terminal: JSONValue?
    while batch == nil || terminal == nil {
      let message = try await peer.next(timeout: .seconds(10))
      if let answers = message.arrayValue { batch = answers }
      if ["execution.cancelled", "execution.completed"].contains(message["method"]?.stringValue ?? "") { terminal = message }
    }
    #expect(batch?.count == 2)
    #expect(batch?.first { $0["id"] == 2 }?["result"] == .null)
    await peer.finish()
  }
}

@Suite("Dry runs stay offline, against the built binary")
struct DryRunEndToEndTests {
  /// Every provider's key set and its base URL pointing at one fake server.
  static func everyProvider(_ server: FakeProviderServer) -> [String: String] {
    var environment: [String: String] = [:]
    for provider in ["mistral", "glm", "openrouter", "huggingface", "claude"] {
      environment.merge(providerEnvironment(provider, server: server, key: "sk-dry-\(provider)")) { _, new in new }
    }
    return environment
  }

  @Test("provider_id echo: every node uses echo, overrides and defaults included; no request is made")
  func serverDryRun() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try ProcessPeer(options: PeerOptions(environment: Self.everyProvider(server)))
    try await peer.initialize()
    let flow: JSONValue = [
      "provider_id": "echo",
      "nodes": [
        ["id": "p", "type": "initialPrompt", "data": ["text": "a knight"]],
        ["id": "t", "type": "translator", "data": ["language": "fr", "providerId": "mistral", "model": "mistral-large-latest"]],
        ["id": "s", "type": "storyTeller", "data": [:]],
      ],
      "edges": [["source": "p", "target": "t"], ["source": "t", "target": "s"]],
    ]
    let started = try await peer.request("execution.start", id: 1, params: flow)
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    let (log, _) = try await peer.collectRun(runID)
    let summary = try EventLogChecker(flow: flow).check(log)
    #expect(summary.terminalMethod == "execution.completed")
    for node in ["t", "s"] {
      let model = summary.terminal["outputs"]?[node]?["model"]
      #expect(model?["provider_id"] == "echo" && model?["source"] == "dry_run", "\(node): \(String(describing: model))")
    }
    #expect(server.requests.isEmpty, "a dry run sent \(server.requests.count) provider requests")
    #expect(server.connections == 0, "a dry run opened \(server.connections) connections")
    await peer.finish()
    await server.stop()
  }

  @Test("flowrunner run --provider echo stays offline with every key set")
  func commandLineDryRun() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try ProcessPeer(
      options: PeerOptions(environment: Self.everyProvider(server)),
      arguments: ["run", FixtureFiles.root.appendingPathComponent("flows/persona-scene-prompt.json").path, "--provider", "echo"])
    #expect(try await peer.waitForExit(timeout: .seconds(20)) == 0)
    try await peer.output.waitUntilClosed()
    #expect(String(decoding: peer.output.rawOutput, as: UTF8.self).contains("[echo]"))
    #expect(server.requests.isEmpty && server.connections == 0)
    await server.stop()
  }
}
