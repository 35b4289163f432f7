import FakeProvider
import FlowPersistence
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

/// The server-side cache against the built binary and the fake provider.
@Suite("Cache by input hash, against the built binary")
struct CacheEndToEndTests {
  /// `count` prompt → translator pairs on mistral; `tag` makes the prompts (and keys) differ.
  static func flow(count: Int, tag: String = "", model: String = "mistral-small-latest", options: JSONValue? = nil)
    -> JSONValue
  {
    var object: JSONObject = [
      "flow_id": "cached",
      "nodes": .array(
        (0..<count).flatMap { index -> [JSONValue] in
          [
            ["id": .string("p\(index)"), "type": "initialPrompt", "data": ["text": .string("a lighthouse\(tag)")]],
            [
              "id": .string("t\(index)"), "type": "translator",
              "data": ["language": "fr", "providerId": "mistral", "model": .string(model)],
            ],
          ]
        }),
      "edges": .array((0..<count).map { ["source": .string("p\($0)"), "target": .string("t\($0)")] }),
    ]
    if let options { object["options"] = options }
    return .object(object)
  }

  /// An initialized engine whose mistral is the fake provider.
  static func engineOnFakeProvider(settings: JSONValue = [:]) async throws -> (FakeProviderServer, ProcessPeer) {
    let server = try await FakeProviderServer.start()
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("mistral", server: server, key: "sk-c")))
    try await peer.initialize(params: settings)
    return (server, peer)
  }

  static func run(_ peer: ProcessPeer, _ flow: JSONValue, id: Int) async throws -> [JSONValue] {
    let started = try await peer.request("execution.start", id: .int(id), params: flow)
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    let (log, _) = try await peer.collectRun(runID)
    try EventLogChecker(flow: flow).check(log)
    return log
  }

  static func completions(_ log: [JSONValue]) -> [JSONValue] {
    log.filter { $0["method"] == "execution.node.completed" && $0["params"]?["node_id"]?.stringValue?.hasPrefix("t") == true }
      .compactMap { $0["params"] }
  }

  @Test("a flow run twice calls the provider only the first time; off and refresh call again")
  func secondRunHits() async throws {
    let (server, peer) = try await Self.engineOnFakeProvider()
    let first = try await Self.run(peer, Self.flow(count: 1), id: 1)
    #expect(server.requests.count == 1)
    #expect(Self.completions(first).first?["cached"] == false)
    #expect(first.last?["params"]?["usage"]?["provider_calls"] == 1)

    let second = try await Self.run(peer, Self.flow(count: 1), id: 2)
    #expect(server.requests.count == 1, "the second run made a provider call")
    let hit = try #require(Self.completions(second).first)
    #expect(hit["cached"] == true)
    #expect(hit["cache_key"]?.stringValue?.count == 64)
    #expect(hit["output"]?["text"] == Self.completions(first).first?["output"]?["text"])
    #expect(hit["output"]?["usage"] == nil)  // nothing was spent
    let usage = second.last?["params"]?["usage"]
    #expect(usage?["provider_calls"] == 0 && usage?["input_tokens"] == 0 && usage?["complete"] == true)

    _ = try await Self.run(peer, Self.flow(count: 1, options: ["cache": "off"]), id: 3)
    #expect(server.requests.count == 2)
    _ = try await Self.run(peer, Self.flow(count: 1, options: ["cache": "refresh"]), id: 4)
    #expect(server.requests.count == 3)
    // A different model is a different key.
    _ = try await Self.run(peer, Self.flow(count: 1, model: "mistral-large-latest"), id: 5)
    #expect(server.requests.count == 4)

    let stats = try await peer.request("cache.stats", id: 6)
    #expect(stats["result"]?["entries"] == 2)
    #expect(stats["result"]?["hits"] == 1)
    #expect(stats["result"]?["path"] == .null)
    let cleared = try await peer.request("cache.clear", id: 7, params: ["node_type": "compressor"])
    #expect(cleared["result"]?["removed"] == 0)
    let clearedAll = try await peer.request("cache.clear", id: 8)
    #expect(clearedAll["result"]?["removed"] == 2)
    _ = try await Self.run(peer, Self.flow(count: 1), id: 9)
    #expect(server.requests.count == 5)
    await peer.finish()
    await server.stop()
  }

  @Test("a failed call is not cached: the next run calls again")
  func failuresAreNotCached() async throws {
    let (server, peer) = try await Self.engineOnFakeProvider()
    let failing = Self.flow(count: 1, model: "fake-status=400")
    let first = try await Self.run(peer, failing, id: 1)
    #expect(first.last?["method"] == "execution.failed")
    let calls = server.requests.count
    let second = try await Self.run(peer, failing, id: 2)
    #expect(second.last?["method"] == "execution.failed")
    #expect(server.requests.count == calls * 2)
    await peer.finish()
    await server.stop()
  }

  @Test("50 identical nodes across 5 runs at once make exactly one provider call")
  func singleFlightAcrossRuns() async throws {
    let (server, peer) = try await Self.engineOnFakeProvider()
    let flow = Self.flow(count: 10, tag: " at night", model: "fake-latency-ms=400")
    // All five starts in one write; the runs' ids chosen here.
    var script: [UInt8] = []
    for index in 0..<5 {
      guard case .object(var object) = flow else { return }
      object["run_id"] = .string("sf-\(index)")
      script += lspFrame(requestBody("execution.start", id: .int(100 + index), params: .object(object)))
    }
    try peer.send(script)
    var logs: [String: [JSONValue]] = [:]
    var ended = 0
    while ended < 5 {
      let message = try await peer.next(timeout: .seconds(20))
      guard let runID = message["params"]?["run_id"]?.stringValue else { continue }
      logs[runID, default: []].append(message)
      if ["execution.completed", "execution.failed", "execution.cancelled"].contains(message["method"]?.stringValue) {
        ended += 1
      }
    }
    var cachedCount = 0
    var calledCount = 0
    for (_, log) in logs {
      try EventLogChecker(flow: flow).check(log)
      #expect(log.last?["method"] == "execution.completed")
      for completion in Self.completions(log) {
        if completion["cached"] == true { cachedCount += 1 } else { calledCount += 1 }
      }
    }
    #expect(server.requests.count == 1)
    #expect(calledCount == 1 && cachedCount == 49)
    await peer.finish()
    await server.stop()
  }

  @Test("execution.cancel with the cache on ends the run at once and closes the provider connection")
  func cancelWhileCached() async throws {
    let (server, peer) = try await Self.engineOnFakeProvider()
    let started = try await peer.request(
      "execution.start", id: 1, params: Self.flow(count: 2, tag: " in fog", model: "fake-latency-ms=20000"))
    let runID = try #require(started["result"]?["run_id"]?.stringValue)
    #expect(await server.wait { requests, _ in requests >= 1 })
    try peer.sendLSP(requestBody("execution.cancel", id: 2, params: ["run_id": .string(runID)]))
    let (log, _) = try await peer.collectRun(runID, timeout: .seconds(5))
    #expect(log.last?["method"] == "execution.cancelled")
    #expect(await server.wait { _, disconnects in disconnects >= 1 })
    // Nothing was stored: the same flow calls again.
    try peer.sendLSP(requestBody("cache.stats", id: 3))
    var stats = try await peer.next()
    while stats["id"] != 3 { stats = try await peer.next() }  // the cancel's answer may come first
    #expect(stats["result"]?["entries"] == 0)
    await peer.finish()
    await server.stop()
  }

  @Test("with cache.path the cache outlives the engine: a second engine on the file calls nothing")
  func persistedAcrossEngines() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-cache-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("cache.sqlite").path
    let settings: JSONValue = ["cache": ["path": .string(path)]]

    let (server, first) = try await Self.engineOnFakeProvider(settings: settings)
    _ = try await Self.run(first, Self.flow(count: 3, tag: " by the sea"), id: 1)
    #expect(server.requests.count == 1)  // three identical translators, one call
    try first.sendLSP(requestBody("shutdown", id: 2))
    _ = try await first.next()
    try first.sendLSP(notificationBody("exit"))
    #expect(try await first.waitForExit(timeout: .seconds(5)) == 0)

    let second = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("mistral", server: server, key: "sk-c")))
    try await second.initialize(params: settings)
    let log = try await Self.run(second, Self.flow(count: 3, tag: " by the sea"), id: 1)
    #expect(server.requests.count == 1, "the second engine called the provider")
    #expect(Self.completions(log).allSatisfy { $0["cached"] == true })
    let stats = try await second.request("cache.stats", id: 3)
    #expect(stats["result"]?["path"] == .string(path))
    #expect(stats["result"]?["entries"] == 1)
    #expect(stats["result"]?["hits"] == 3)  // the first from the file, the others from memory
    let cleared = try await second.request("cache.clear", id: 4, params: ["node_type": "translator"])
    #expect(cleared["result"]?["removed"] == 1)
    await second.finish()
    await server.stop()
  }

  @Test("kill -9 while the cache file is being written loses no committed entry and never corrupts it")
  func killedWhileWriting() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-cache-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("cache.sqlite").path
    let settings: JSONValue = ["cache": ["path": .string(path)]]
    let server = try await FakeProviderServer.start()
    let environment = providerEnvironment("mistral", server: server, key: "sk-c")
    var committed: [String] = []  // tags whose translator completed (its entry was written first)
    for round in 0..<4 {
      let peer = try ProcessPeer(options: PeerOptions(environment: environment))
      try await peer.initialize(params: settings)
      var script: [UInt8] = []
      for index in 0..<40 {
        guard case .object(var object) = Self.flow(count: 1, tag: " r\(round) n\(index)") else { return }
        object["run_id"] = .string("k\(round)-\(index)")
        script += lspFrame(requestBody("execution.start", id: .int(1000 + index), params: .object(object)))
      }
      try peer.send(script)
      var seen = 0
      while seen < 8 + round * 4 {
        let message = try await peer.next(timeout: .seconds(20))
        guard message["method"] == "execution.node.completed", message["params"]?["node_id"] == "t0",
          let runID = message["params"]?["run_id"]?.stringValue, let index = runID.split(separator: "-").last
        else { continue }
        committed.append(" r\(round) n\(index)")
        seen += 1
      }
      kill(peer.processID, SIGKILL)
      _ = try await peer.waitForExit(timeout: .seconds(5))
      await peer.finish()
    }
    #expect(try SQLiteCacheStore.integrityCheck(path: path) == ["ok"])
    let requests = server.requests.count
    let reader = try ProcessPeer(options: PeerOptions(environment: environment))
    try await reader.initialize(params: settings)
    for (index, tag) in committed.enumerated() {
      let log = try await Self.run(reader, Self.flow(count: 1, tag: tag), id: index + 1)
      #expect(Self.completions(log).first?["cached"] == true, "lost: \(tag)")
    }
    #expect(server.requests.count == requests)
    await reader.finish()
    await server.stop()
  }

  @Test(
    "a cache file that cannot be used is one warning; the engine serves with the cache in memory",
    arguments: ["not-a-database", "missing-directory", "read-only-filesystem"])
  func unusableCacheFile(kind: String) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-cache-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var path = directory.appendingPathComponent("cache.sqlite").path
    switch kind {
    case "not-a-database":
      try Data(String(repeating: "this is not SQLite\n", count: 500).utf8).write(to: URL(fileURLWithPath: path))
    case "read-only-filesystem":
      path = "/proc/flowrunner-cache-\(UUID().uuidString).sqlite"  // nothing, not even root, creates files there
    default:
      path = directory.appendingPathComponent("no/such/directory/cache.sqlite").path
    }
    let (server, peer) = try await Self.engineOnFakeProvider(settings: ["cache": ["path": .string(path)]])
    _ = try await Self.run(peer, Self.flow(count: 1), id: 1)
    let second = try await Self.run(peer, Self.flow(count: 1), id: 2)
    #expect(server.requests.count == 1)  // the memory cache still answers
    #expect(Self.completions(second).first?["cached"] == true)
    let stats = try await peer.request("cache.stats", id: 3)
    #expect(stats["result"]?["path"] == .null)
    try await peer.waitForStandardError(containing: "cannot be used")
    await peer.finish()
    await server.stop()
  }

  @Test("echo is never cached; cache.enabled false turns the cache off")
  func echoAndDisabled() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize()
    let flow = try FixtureFiles.json("flows/handles.json")
    for id in 1...2 {
      let log = try await Self.run(peer, flow, id: id)
      #expect(log.allSatisfy { $0["params"]?["cached"] != true })
    }
    await peer.finish()

    let (server, disabled) = try await Self.engineOnFakeProvider(settings: ["cache": ["enabled": false]])
    _ = try await Self.run(disabled, Self.flow(count: 1), id: 1)
    _ = try await Self.run(disabled, Self.flow(count: 1), id: 2)
    #expect(server.requests.count == 2)
    await disabled.finish()
    await server.stop()
  }
}
