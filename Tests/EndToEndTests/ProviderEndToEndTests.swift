import FakeProvider
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

/// The environment that points one provider of a spawned engine at the fake server.
func providerEnvironment(_ provider: String, server: FakeProviderServer, key: String) -> [String: String] {
  let variables: [String: (key: String, url: String)] = [
    "mistral": ("MISTRAL_API_KEY", "MISTRAL_BASE_URL"), "glm": ("GLM_API_KEY", "GLM_BASE_URL"),
    "openrouter": ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"), "huggingface": ("HF_TOKEN", "HF_BASE_URL"),
    "claude": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
  ]
  let names = variables[provider]!
  return [names.key: key, names.url: server.baseURL(for: provider)]
}

@Suite("LLM flows through the built binary against the fake provider")
struct ProviderEndToEndTests {
  static let providers = ["mistral", "glm", "openrouter", "huggingface", "claude"]

  func withProvider(_ flow: JSONValue, _ provider: String, stream: Bool) -> JSONValue {
    guard case .object(var object) = flow else { return flow }
    object["provider_id"] = .string(provider)
    object["options"] = ["stream": .bool(stream)]
    return .object(object)
  }

  @Test("every fixture flow on every provider, streamed, keeps the invariants", arguments: providers)
  func everyFlow(provider: String) async throws {
    let server = try await FakeProviderServer.start()
    let key = "sk-canary-\(provider)-5150"
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment(provider, server: server, key: key)))
    try await peer.initialize()
    var id = 1
    var streamedNodes = 0
    // The text flows: image flows need image providers (ImageEndToEndTests).
    for name in FixtureFiles.validFlows {
      let fixture = try FixtureFiles.json("flows/\(name).json")
      let types = (fixture["nodes"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
      guard !types.contains(where: { $0.hasPrefix("image") }) else { continue }
      let flow = withProvider(fixture, provider, stream: true)
      let started = try await peer.request("execution.start", id: .int(id), params: flow)
      id += 1
      let runID = try #require(started["result"]?["run_id"]?.stringValue, "\(name): \(started)")
      let (log, _) = try await peer.collectRun(runID)
      let summary = try EventLogChecker(flow: flow).check(log)
      #expect(summary.terminalMethod == "execution.completed", "\(name) on \(provider): \(summary.terminal)")
      // Each streamed node's deltas add up to its final text.
      for completed in log where completed["method"] == "execution.node.completed" {
        let nodeID = completed["params"]?["node_id"]
        let deltas = log.filter { $0["method"] == "execution.node.delta" && $0["params"]?["node_id"] == nodeID }
        guard !deltas.isEmpty else { continue }
        streamedNodes += 1
        let streamed = deltas.compactMap { $0["params"]?["text"]?.stringValue }.joined()
        #expect(streamed.trimmingCharacters(in: .whitespacesAndNewlines) == completed["params"]?["output"]?["text"]?.stringValue)
        #expect(deltas.compactMap { $0["params"]?["index"]?.intValue } == Array(0..<deltas.count))
        #expect(completed["params"]?["output"]?["model"]?["provider_id"] == .string(provider))
      }
    }
    let calls = server.requests
    #expect(streamedNodes == 5, "every provider call streams its text")
    #expect(calls.count == 5)  // the persona flow's three provider calls, the handles flow's two
    for call in calls {
      #expect(call.provider == provider)
      let credential = provider == "claude" ? call.header("x-api-key") : call.header("authorization")
      #expect(credential?.contains(key) == true)
    }
    try peer.sendLSP(requestBody("shutdown", id: 999))
    _ = try await peer.next()
    peer.closeInput()
    _ = try await peer.waitForExit(timeout: .seconds(5))
    try await peer.output.waitUntilClosed()
    #expect(!String(decoding: peer.output.rawOutput, as: UTF8.self).contains(key))
    #expect(!String(decoding: try await peer.standardErrorToEnd(), as: UTF8.self).contains(key))
    await server.stop()
  }

  @Test("retries show as retrying events; failures fail the node with the provider's error; no key leaks")
  func retriesAndFailures() async throws {
    let server = try await FakeProviderServer.start()
    let key = "sk-canary-mistral-0042"
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("mistral", server: server, key: key)))
    try await peer.initialize()
    let flow: JSONValue = [
      "provider_id": "mistral",
      "nodes": [
        ["id": "p", "type": "initialPrompt", "data": ["text": "a knight"]],
        ["id": "t", "type": "translator", "data": ["language": "de"]],
        ["id": "g", "type": "grammarFix", "data": [:]],
      ],
      "edges": [["source": "p", "target": "t"], ["source": "t", "target": "g"]],
    ]
    server.script(
      "mistral", FakeBehavior(.error(status: 503)), FakeBehavior(.reply("Ein Ritter")), FakeBehavior(.error(status: 401)))
    let started = try await peer.request("execution.start", id: 1, params: flow)
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    let (log, _) = try await peer.collectRun(runID)
    let summary = try EventLogChecker(flow: flow).check(log)
    #expect(summary.nodeOutcome == ["p": "completed", "t": "completed", "g": "failed"])
    let retrying = try #require(log.first { $0["params"]?["status"] == "retrying" })
    #expect(retrying["params"]?["node_id"] == "t")
    #expect(retrying["params"]?["attempt"] == 2)
    #expect(retrying["params"]?["reason"]?.stringValue?.contains("HTTP 503") == true)
    let failed = try #require(log.first { $0["method"] == "execution.node.failed" })
    #expect(failed["params"]?["error"]?["code"] == "provider_http_error")
    #expect(failed["params"]?["error"]?["http_status"] == 401)
    #expect(failed["params"]?["error"]?["provider_id"] == "mistral")
    #expect(summary.terminal["usage"]?["provider_calls"] == 3)
    #expect(summary.terminal["outputs"]?["t"]?["text"] == "Ein Ritter")
    peer.closeInput()
    _ = try await peer.waitForExit(timeout: .seconds(5))
    try await peer.output.waitUntilClosed()
    #expect(!String(decoding: peer.output.rawOutput + (try await peer.standardErrorToEnd()), as: UTF8.self).contains(key))
    await server.stop()
  }

  @Test("execution.cancel mid-stream ends the run and closes the provider connections")
  func cancelMidStream() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("claude", server: server, key: "sk-x")))
    try await peer.initialize()
    let nodes: [JSONValue] =
      [["id": "p", "type": "initialPrompt", "data": ["text": "go"]]]
      + (0..<5).map { ["id": .string("s\($0)"), "type": "storyTeller", "data": [:]] }
    let edges: [JSONValue] = (0..<5).map { ["source": "p", "target": .string("s\($0)")] }
    let flow: JSONValue = [
      "provider_id": "claude", "nodes": .array(nodes), "edges": .array(edges),
      // Five identical calls: with the cache they would share one.
      "options": ["stream": true, "cache": "off"],
    ]
    for _ in 0..<5 { server.script("claude", FakeBehavior(.stall)) }
    let started = try await peer.request("execution.start", id: 1, params: flow)
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    #expect(await server.wait { requests, _ in requests >= 5 })
    try peer.sendLSP(requestBody("execution.cancel", id: 2, params: ["run_id": .string(runID)]))
    let (log, other) = try await peer.collectRun(runID)
    let summary = try EventLogChecker(flow: flow).check(log)
    #expect(summary.terminalMethod == "execution.cancelled")
    var answer = other.first { $0["id"] == 2 }
    if answer == nil { answer = try await peer.next() }
    #expect(answer?["result"]?["cancelled"] == true)
    #expect(await server.wait { _, disconnects in disconnects >= 5 })
    #expect(server.disconnects == 5)
    await peer.finish()
    await server.stop()
  }
}

@Suite("Canary keys across provider error paths, against the built binary")
struct ProviderCanaryTests {
  @Test("no byte on stdout or stderr contains the key, whatever the provider answers")
  func canary() async throws {
    let server = try await FakeProviderServer.start()
    let key = "sk-canary-claude-7e57"
    let peer = try ProcessPeer(
      options: PeerOptions(
        environment: providerEnvironment("claude", server: server, key: key), extraArguments: ["--log-level", "trace"]))
    // Long enough that a loaded machine does not turn the other answers into timeouts.
    try await peer.initialize(params: ["providers": ["claude": ["timeout_seconds": 4]]])
    let outcomes: [FakeBehavior.Outcome] = [
      .error(status: 400), .error(status: 401), .error(status: 403), .error(status: 404), .error(status: 413),
      .error(status: 422), .malformedJSON, .stall,
    ]
    for outcome in outcomes { server.script("claude", FakeBehavior(outcome)) }
    for _ in 0..<4 { server.script("claude", FakeBehavior(.error(status: 429, retryAfter: "0"))) }
    for _ in 0..<4 { server.script("claude", FakeBehavior(.reset)) }
    let count = outcomes.count + 2
    let nodes: [JSONValue] =
      [["id": "p", "type": "initialPrompt", "data": ["text": "hello"]]]
      + (0..<count).map { ["id": .string("g\($0)"), "type": "grammarFix", "data": [:]] }
    let edges: [JSONValue] = (0..<count).map { ["source": "p", "target": .string("g\($0)")] }
    let flow: JSONValue = [
      "provider_id": "claude", "nodes": .array(nodes), "edges": .array(edges), "options": ["max_concurrency": 1],
    ]
    let started = try await peer.request("execution.start", id: 1, params: flow)
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    let (log, _) = try await peer.collectRun(runID, timeout: .seconds(30))
    let summary = try EventLogChecker(flow: flow, maxConcurrency: 1).check(log)
    #expect(summary.nodeOutcome.filter { $0.value == "failed" }.count == count)
    let codes = Set(
      log.filter { $0["method"] == "execution.node.failed" }.compactMap { $0["params"]?["error"]?["code"]?.stringValue })
    #expect(
      codes == [
        "provider_http_error", "provider_bad_response", "provider_timeout", "provider_rate_limited", "provider_network_error",
      ])
    peer.closeInput()
    _ = try await peer.waitForExit(timeout: .seconds(5))
    try await peer.output.waitUntilClosed()
    let written = String(decoding: peer.output.rawOutput + (try await peer.standardErrorToEnd()), as: UTF8.self)
    #expect(!written.contains(key))
    #expect(!written.contains("7e57"))
    await server.stop()
  }
}

@Suite("Usage as the provider reported it, through the built binary")
struct UsageEndToEndTests {
  @Test("a node whose provider reports no usage has none; the run's usage says it is incomplete")
  func incomplete() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("glm", server: server, key: "sk-usage")))
    try await peer.initialize()
    let flow: JSONValue = [
      "provider_id": "glm", "options": ["stream": true],
      "nodes": [
        ["id": "p", "type": "initialPrompt", "data": ["text": "a lighthouse"]],
        ["id": "counted", "type": "compressor", "data": [:]],
        ["id": "silent", "type": "compressor", "data": ["providerId": "glm", "model": "fake-no-usage"]],
      ],
      "edges": [["source": "p", "target": "counted"], ["source": "p", "target": "silent"]],
    ]
    let started = try await peer.request("execution.start", id: 1, params: flow)
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    let (log, _) = try await peer.collectRun(runID)
    let summary = try EventLogChecker(flow: flow).check(log)
    #expect(summary.terminalMethod == "execution.completed")
    let outputs = summary.terminal["outputs"]
    #expect(outputs?["counted"]?["usage"]?["output_tokens"]?.intValue ?? 0 > 0)
    #expect(outputs?["silent"]?["usage"] == nil, "usage was invented: \(String(describing: outputs?["silent"]))")
    #expect(summary.terminal["usage"]?["complete"] == false)
    #expect(summary.terminal["usage"]?["provider_calls"] == 2)
    await peer.finish()
    await server.stop()
  }
}

@Suite("Keys never leave: control characters refused, echoed credentials scrubbed, through the built binary")
struct KeyLeakTests {
  @Test("a key with a control character is refused at initialize without being shown")
  func controlCharacters() async throws {
    let key = "sk-canary-crlf-4242\r\nX-Injected: 1"
    let peer = try ProcessPeer()
    let refused = try await peer.request(
      "initialize", id: 1, params: ["providers": ["mistral": ["api_key": .string(key)]]])
    #expect(refused["error"]?["code"] == -32602)
    #expect(refused["error"]?["message"]?.stringValue?.contains("providers.mistral.api_key") == true)
    peer.closeInput()
    _ = try await peer.waitForExit(timeout: .seconds(5))
    try await peer.output.waitUntilClosed()
    let written = String(decoding: peer.output.rawOutput + (try await peer.standardErrorToEnd()), as: UTF8.self)
    #expect(!written.contains("sk-canary-crlf-4242"))
  }

  @Test("a key from the environment with a control character is ignored with a warning that does not show it")
  func environmentKey() async throws {
    let flow = FixtureFiles.root.appendingPathComponent("flows/scene-prompt.json").path
    let peer = try ProcessPeer(
      options: PeerOptions(environment: ["MISTRAL_API_KEY": "sk-canary-env-9191\u{1B}[31m"]),
      arguments: ["run", flow, "--provider", "echo"])
    #expect(try await peer.waitForExit(timeout: .seconds(10)) == 0)
    try await peer.output.waitUntilClosed()
    let stderr = String(decoding: try await peer.standardErrorToEnd(), as: UTF8.self)
    #expect(stderr.contains("MISTRAL_API_KEY holds a control character and is ignored"))
    #expect(!stderr.contains("sk-canary-env-9191") && !String(decoding: peer.output.rawOutput, as: UTF8.self).contains("9191"))
  }

  @Test("a provider error body that repeats the credential reaches the client without it", arguments: ["mistral", "claude"])
  func echoedCredential(provider: String) async throws {
    let server = try await FakeProviderServer.start()
    let key = "sk-canary-echo-\(provider)-7070"
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment(provider, server: server, key: key)))
    try await peer.initialize()
    let flow: JSONValue = [
      "nodes": [
        ["id": "p", "type": "initialPrompt", "data": ["text": "x"]],
        ["id": "e", "type": "promptEnhancer", "data": ["providerId": .string(provider), "model": "fake-echo-auth"]],
      ],
      "edges": [["source": "p", "target": "e"]],
    ]
    let started = try await peer.request("execution.start", id: 1, params: flow)
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    let (log, _) = try await peer.collectRun(runID)
    let failed = try #require(log.first { $0["method"] == "execution.node.failed" })
    let message = failed["params"]?["error"]?["message"]?.stringValue ?? ""
    #expect(message.contains("<redacted>"), "\(message)")
    #expect(server.requests.count == 1)
    peer.closeInput()
    _ = try await peer.waitForExit(timeout: .seconds(5))
    try await peer.output.waitUntilClosed()
    let written = String(decoding: peer.output.rawOutput + (try await peer.standardErrorToEnd()), as: UTF8.self)
    #expect(!written.contains(key))
    await server.stop()
  }
}
