import FakeProvider
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

/// Per-user quotas, per-run budgets and run-scoped keys (§6.5) against the built binary and
/// the fake provider.
@Suite("Quotas, budgets and run-scoped keys, against the built binary")
struct QuotaEndToEndTests {
  static func engine(_ server: FakeProviderServer, settings: JSONObject, key: String = "sk-engine") async throws
    -> ProcessPeer
  {
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("mistral", server: server, key: key)))
    try await peer.initialize(params: .object(settings))
    return peer
  }

  /// `count` translators on mistral, each from its own prompt, with `model` (markers) and
  /// `members` added to the start params.
  static func flow(count: Int, tag: String, model: String = "mistral-small-latest", members: JSONObject) -> JSONValue {
    guard case .object(var object) = CacheEndToEndTests.flow(count: count, tag: tag, model: model) else { return .null }
    for (key, value) in members.members { object[key] = value }
    var options = object["options"]?.objectValue ?? [:]
    options["cache"] = "off"
    object["options"] = .object(options)
    // Each translator its own prompt text: no two calls alike.
    if case .array(var nodes)? = object["nodes"] {
      for index in nodes.indices where nodes[index]["type"] == "initialPrompt" {
        if case .object(var node) = nodes[index] {
          node["data"] = ["text": .string("line \(index) \(tag)")]
          nodes[index] = .object(node)
        }
      }
      object["nodes"] = .array(nodes)
    }
    return .object(object)
  }

  static func start(_ peer: ProcessPeer, _ flow: JSONValue, id: Int) async throws -> JSONValue {
    try await JournalEndToEndTests.answer(peer, "execution.start", id: id, params: flow)
  }

  @Test("max_live_runs: at the limit the next start is -32005 with the limit; other keys and freed slots start")
  func liveRuns() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, settings: ["quotas": ["default": ["max_live_runs": 2]]])
    let slow = "fake-latency-ms=20000"
    for index in 0..<2 {
      let started = try await Self.start(
        peer, Self.flow(count: 1, tag: "s\(index)", model: slow, members: ["quota_key": "u1", "run_id": .string("u1-\(index)")]),
        id: index + 1)
      #expect(started["result"]?["run_id"] == .string("u1-\(index)"))
    }
    let refused = try await Self.start(
      peer, Self.flow(count: 1, tag: "s2", model: slow, members: ["quota_key": "u1", "run_id": "u1-2"]), id: 3)
    expectError(refused, code: -32005, id: 3)
    #expect(refused["error"]?["data"] == ["limit": "max_live_runs", "max": 2])
    #expect(refused["error"]?["message"]?.stringValue?.contains("'u1'") == true)
    // Another key has its own two.
    let other = try await Self.start(
      peer, Self.flow(count: 1, tag: "o", model: slow, members: ["quota_key": "u2", "run_id": "u2-0"]), id: 4)
    #expect(other["result"]?["run_id"] == "u2-0")
    let status = try await JournalEndToEndTests.answer(peer, "quota.status", id: 5, params: ["quota_key": "u1"])
    #expect(status["result"]?["live_runs"] == 2 && status["result"]?["limits"] == ["max_live_runs": 2])
    let listed = try await JournalEndToEndTests.answer(peer, "execution.list", id: 6, params: ["quota_key": "u1"])
    #expect(listed["result"]?["runs"]?.arrayValue?.compactMap { $0["run_id"]?.stringValue }.sorted() == ["u1-0", "u1-1"])
    // A run ends: its slot frees up.
    try peer.sendLSP(requestBody("execution.cancel", id: 7, params: ["run_id": "u1-0"]))
    _ = try await peer.collectRun("u1-0", timeout: .seconds(5))
    // The slot is handed back just after the run's end: each answer shows where it stands.
    var live = 2
    for attempt in 0..<200 where live == 2 {
      let answer = try await JournalEndToEndTests.answer(peer, "quota.status", id: 50 + attempt, params: ["quota_key": "u1"])
      live = answer["result"]?["live_runs"]?.intValue ?? -1
    }
    #expect(live == 1)
    let admitted = try await Self.start(
      peer, Self.flow(count: 1, tag: "s3", model: slow, members: ["quota_key": "u1", "run_id": "u1-3"]), id: 300)
    #expect(admitted["result"] != nil)
    await peer.finish()
    await server.stop()
  }

  @Test("provider_calls_per_minute: calls past it wait, visibly, and a cancel ends the wait at once")
  func callsPerMinute() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, settings: ["quotas": ["keys": ["u3": ["provider_calls_per_minute": 2]]]])
    let flow = Self.flow(
      count: 3, tag: "rate", members: ["quota_key": "u3", "run_id": "rate", "options": ["max_concurrency": 1]])
    _ = try await Self.start(peer, flow, id: 1)
    var waiting: JSONValue?
    while waiting == nil {
      let message = try await peer.next(timeout: .seconds(10))
      if message["params"]?["status"] == "waiting" { waiting = message }
    }
    #expect(waiting?["params"]?["reason"] == "quota")
    #expect(server.requests.count == 2)
    let status = try await JournalEndToEndTests.answer(peer, "quota.status", id: 2, params: ["quota_key": "u3"])
    #expect(status["result"]?["calls_last_minute"] == 2)
    let begin = ContinuousClock.now
    try peer.sendLSP(requestBody("execution.cancel", id: 3, params: ["run_id": "rate"]))
    let (log, _) = try await peer.collectRun("rate", timeout: .seconds(5))
    #expect(log.last?["method"] == "execution.cancelled")
    // Far below what the wait would last (a minute, or forever), with room for a loaded machine.
    #expect(ContinuousClock.now - begin < .seconds(10))
    #expect(server.requests.count == 2)
    // At the limit, not past it: two calls under a limit of two never wait.
    let fresh = try await Self.engine(server, settings: ["quotas": ["keys": ["u3": ["provider_calls_per_minute": 2]]]])
    _ = try await Self.start(fresh, Self.flow(count: 2, tag: "edge", members: ["quota_key": "u3", "run_id": "edge"]), id: 1)
    let (edge, _) = try await fresh.collectRun("edge")
    #expect(edge.last?["method"] == "execution.completed")
    #expect(!edge.contains { $0["params"]?["status"] == "waiting" })
    await peer.finish()
    await fresh.finish()
    await server.stop()
  }

  @Test("tokens_per_day: counted from provider usage; the call that would pass it fails with quota_exceeded")
  func tokensPerDay() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, settings: ["quotas": ["keys": ["u4": ["tokens_per_day": 60]]]])
    var failure: JSONValue?
    var runs = 0
    while failure == nil, runs < 20 {
      runs += 1
      _ = try await Self.start(
        peer, Self.flow(count: 1, tag: "t\(runs)", members: ["quota_key": "u4", "run_id": .string("tok-\(runs)")]), id: runs)
      let (log, _) = try await peer.collectRun("tok-\(runs)")
      failure = log.first { $0["method"] == "execution.node.failed" }?["params"]?["error"]
    }
    #expect(failure?["code"] == "quota_exceeded")
    #expect(failure?["message"]?.stringValue?.contains("tokens_per_day") == true)
    #expect(server.requests.count == runs - 1, "the refused call was sent")
    let status = try await JournalEndToEndTests.answer(peer, "quota.status", id: 99, params: ["quota_key": "u4"])
    let today = status["result"]?["tokens_today"]?.intValue ?? 0
    #expect(today > 0 && today <= 60)
    await peer.finish()
    await server.stop()
  }

  @Test("budgets: calls (retries too) and tokens; the node past the budget fails before any request")
  func budgets() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, settings: [:])
    _ = try await Self.start(
      peer,
      Self.flow(
        count: 3, tag: "budget",
        members: ["run_id": "b1", "options": ["max_concurrency": 1, "budget": ["max_provider_calls": 2]]]),
      id: 1)
    let (log, _) = try await peer.collectRun("b1")
    let failures = log.filter { $0["method"] == "execution.node.failed" }
    #expect(failures.count == 1 && failures.first?["params"]?["error"]?["code"] == "budget_exceeded")
    #expect(server.requests.count == 2)
    // Retries count: a failing call with a budget of two stops after two attempts.
    let before = server.requests.count
    _ = try await Self.start(
      peer,
      Self.flow(
        count: 1, tag: "retry", model: "fake-status=503 fake-retry-after=0",
        members: ["run_id": "b2", "options": ["budget": ["max_provider_calls": 2]]]),
      id: 2)
    let (retried, _) = try await peer.collectRun("b2")
    #expect(retried.first { $0["method"] == "execution.node.failed" }?["params"]?["error"]?["code"] == "budget_exceeded")
    #expect(server.requests.count == before + 2)
    // A token budget smaller than the prompt: refused before the request.
    _ = try await Self.start(
      peer, Self.flow(count: 1, tag: "tokens", members: ["run_id": "b3", "options": ["budget": ["max_tokens": 5]]]), id: 3)
    let (tokens, _) = try await peer.collectRun("b3")
    #expect(tokens.first { $0["method"] == "execution.node.failed" }?["params"]?["error"]?["code"] == "budget_exceeded")
    #expect(server.requests.count == before + 2)
    await peer.finish()
    await server.stop()
  }

  @Test("run-scoped keys reach the provider, get their own concurrency, and never appear in any output")
  func runScopedKeys() async throws {
    let directory = try JournalEndToEndTests.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let journalPath = directory.appendingPathComponent("journal.sqlite").path
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(
      server,
      settings: [
        "providers": ["mistral": ["max_concurrency": 1]], "journal": ["path": .string(journalPath)],
      ])
    let canaries = ["sk-run-canary-alpha-7781", "sk-run-canary-beta-9902"]
    // Two runs with their own keys, each of two slow calls, at once: the keys do not share the
    // one slot the connection's settings allow.
    var script: [UInt8] = []
    for (index, canary) in canaries.enumerated() {
      let flow = Self.flow(
        count: 2, tag: "own\(index)", model: "fake-latency-ms=300",
        members: [
          "run_id": .string("own-\(index)"),
          "options": ["providers": ["mistral": ["api_key": .string(canary)]], "max_concurrency": 2],
        ])
      script += lspFrame(requestBody("execution.start", id: .int(index + 1), params: flow))
    }
    try peer.send(script)
    let logs = try await peer.collectRuns(["own-0", "own-1"])
    #expect(logs.values.allSatisfy { $0.last?["method"] == "execution.completed" })
    #expect(server.peakConcurrentRequests == 2)
    let sent = Set(server.requests.compactMap { $0.header("authorization") })
    #expect(sent == Set(canaries.map { "Bearer \($0)" }))
    // A key the provider refuses (its error body repeats the key): the node fails, the key is
    // scrubbed.
    _ = try await Self.start(
      peer,
      Self.flow(
        count: 1, tag: "bad", model: "fake-echo-auth",
        members: ["run_id": "bad", "options": ["providers": ["mistral": ["api_key": .string(canaries[0])]]]]),
      id: 3)
    let (bad, _) = try await peer.collectRun("bad")
    #expect(bad.last?["method"] == "execution.failed")
    // Every error path with a run-scoped key: statuses, a malformed body, a reset, a cut stream.
    var failing: [JSONValue] = []
    var failingEdges: [JSONValue] = []
    let markers = [
      "fake-status=400", "fake-status=401", "fake-status=429 fake-retry-after=0", "fake-status=500 fake-retry-after=0",
      "fake-malformed", "fake-reset", "fake-truncated", "fake-echo-auth",
    ]
    for (index, marker) in markers.enumerated() {
      failing.append(["id": .string("p\(index)"), "type": "initialPrompt", "data": ["text": .string("error path \(index)")]])
      failing.append([
        "id": .string("t\(index)"), "type": "translator",
        "data": ["language": "fr", "providerId": "mistral", "model": .string(marker)],
      ])
      failingEdges.append(["source": .string("p\(index)"), "target": .string("t\(index)")])
    }
    _ = try await Self.start(
      peer,
      [
        "run_id": "errors", "nodes": .array(failing), "edges": .array(failingEdges),
        "options": [
          "cache": "off", "stream": true, "providers": ["mistral": ["api_key": .string(canaries[1])]],
        ],
      ],
      id: 6)
    let (errors, _) = try await peer.collectRun("errors", timeout: .seconds(60))
    #expect(errors.filter { $0["method"] == "execution.node.failed" }.count == markers.count)
    // A malformed run-scoped setting is -32602 without the key.
    let refused = try await Self.start(
      peer,
      Self.flow(
        count: 1, tag: "x",
        members: ["options": ["providers": ["mistral": ["api_key": .string(canaries[1]), "max_concurrency": 3]]]]),
      id: 4)
    expectError(refused, code: -32602, id: 4)
    _ = try await JournalEndToEndTests.answer(peer, "execution.events", id: 5, params: ["run_id": "own-0"])
    await peer.finish()
    let everything =
      String(decoding: peer.output.rawOutput, as: UTF8.self) + String(decoding: peer.standardError, as: UTF8.self)
      + String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: journalPath))) ?? Data(), as: UTF8.self)
      + String(
        decoding: (try? Data(contentsOf: URL(fileURLWithPath: journalPath + "-wal"))) ?? Data(), as: UTF8.self)
    for canary in canaries { #expect(!everything.contains(canary), "\(canary) leaked") }
    #expect(everything.contains("<redacted>") || everything.contains("401"))
    await server.stop()
  }

  @Test("an unreachable shared counter store: quotas fail open by default, closed when configured so")
  func storeErrorPolicy() async throws {
    let server = try await FakeProviderServer.start()
    let nowhere = "postgres://nobody@127.0.0.1:9/none?sslmode=disable"
    for policy in ["open", "closed"] {
      let peer = try await Self.engine(
        server,
        settings: [
          "shared_state": ["postgres_url": .string(nowhere)],
          "quotas": ["default": ["max_live_runs": 1], "on_store_error": .string(policy)],
        ])
      let answer = try await Self.start(peer, Self.flow(count: 1, tag: policy, members: ["run_id": "p"]), id: 1)
      if policy == "open" {
        #expect(answer["result"]?["run_id"] == "p")
      } else {
        expectError(answer, code: -32005, id: 1)
        #expect(answer["error"]?["data"]?["retry_after_ms"] == 1000)
      }
      try await peer.waitForStandardError(containing: "quotas follow quotas.on_store_error")
      await peer.finish()
    }
    await server.stop()
  }

  @Test("FLOWRUNNER_QUOTAS sets the quotas from the environment; initialize overrides it; a bad value stops the engine")
  func quotasFromEnvironment() async throws {
    let server = try await FakeProviderServer.start()
    var environment = providerEnvironment("mistral", server: server, key: "sk-env")
    environment["FLOWRUNNER_QUOTAS"] = #"{"default": {"max_live_runs": 1}}"#
    let peer = try ProcessPeer(options: PeerOptions(environment: environment))
    try await peer.initialize()
    let slow = Self.flow(count: 1, tag: "env", model: "fake-latency-ms=20000", members: ["run_id": "env-0"])
    _ = try await Self.start(peer, slow, id: 1)
    let refused = try await Self.start(
      peer, Self.flow(count: 1, tag: "env2", model: "fake-latency-ms=20000", members: ["run_id": "env-1"]), id: 2)
    expectError(refused, code: -32005, id: 2)
    await peer.finish()
    let overridden = try ProcessPeer(options: PeerOptions(environment: environment))
    try await overridden.initialize(params: ["quotas": ["default": ["max_live_runs": 2]]])
    for index in 0..<2 {
      let started = try await Self.start(
        overridden,
        Self.flow(count: 1, tag: "o\(index)", model: "fake-latency-ms=20000", members: ["run_id": .string("o-\(index)")]),
        id: index + 1)
      #expect(started["result"] != nil)
    }
    await overridden.finish()
    environment["FLOWRUNNER_QUOTAS"] = #"{"default": {"max_live_runs": 0}}"#
    let bad = try ProcessPeer(options: PeerOptions(environment: environment))
    #expect(try await bad.waitForExit(timeout: .seconds(10)) != 0)
    let stderr = String(decoding: try await bad.standardErrorToEnd(), as: UTF8.self)
    #expect(stderr.contains("FLOWRUNNER_QUOTAS is invalid") && stderr.contains("max_live_runs"), "\(stderr)")
    await bad.finish()
    await server.stop()
  }
}
