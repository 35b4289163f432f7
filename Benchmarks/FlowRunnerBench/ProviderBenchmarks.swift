import FakeProvider
import Foundation
import JSON
import JSONRPC
import Signals
import Synchronization

/// Benchmarks of LLM flows: the engine against the fake provider over loopback HTTP.
enum ProviderBenchmarks {
  static func environment(_ server: FakeProviderServer) -> [String: String] {
    ["MISTRAL_API_KEY": "sk-bench", "MISTRAL_BASE_URL": server.baseURL(for: "mistral")]
  }

  static func initialize(_ peer: BenchmarkPeer, maxConcurrency: Int, settings: JSONObject = [:]) throws {
    var params: JSONObject = ["providers": ["mistral": ["max_concurrency": .int(maxConcurrency)]]]
    for (key, value) in settings.members { params[key] = value }
    peer.send(
      frame(
        JSONValue.object([
          "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": .object(params),
        ]).description))
    try peer.waitForFrames(1)
  }

  static func start(_ flow: JSONValue, id: Int) -> [UInt8] {
    frame(JSONValue.object(["jsonrpc": "2.0", "id": .int(id), "method": "execution.start", "params": flow]).description)
  }

  /// (a) A 200-node DAG whose nodes take 20–400 ms each at the provider: the run's makespan
  /// against its critical path, and what a level-by-level schedule would need.
  static func makespan(binary: String, quotas: Bool = false) async throws -> [Measurement] {
    let server = try await FakeProviderServer.start()
    defer { Task { await server.stop() } }
    var state: UInt64 = 7
    func random(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    let count = 200
    var latency = [Int](repeating: 0, count: count)
    var inputs = [[Int]](repeating: [], count: count)
    var nodes: [JSONValue] = []
    var edges: [JSONValue] = []
    for index in 0..<count {
      if index < 10 {
        nodes.append(["id": .string("n\(index)"), "type": "initialPrompt", "data": ["text": .string("source \(index)")]])
        continue
      }
      latency[index] = 20 + random(381)
      nodes.append([
        "id": .string("n\(index)"), "type": "promptEnhancer", "data": ["notes": .string("fake-latency-ms=\(latency[index])")],
      ])
      for _ in 0..<(1 + random(2)) {
        let source = max(0, index - 1 - random(min(index, 30)))
        if !inputs[index].contains(source) {
          inputs[index].append(source)
          edges.append(["source": .string("n\(source)"), "target": .string("n\(index)")])
        }
      }
    }
    var finish = [Int](repeating: 0, count: count)
    var level = [Int](repeating: 0, count: count)
    for index in 0..<count {
      finish[index] = (inputs[index].map { finish[$0] }.max() ?? 0) + latency[index]
      level[index] = inputs[index].map { level[$0] + 1 }.max() ?? 0
    }
    let criticalPath = Double(finish.max()!) / 1000
    let levelSchedule =
      Double(
        Dictionary(grouping: 0..<count, by: { level[$0] }).values.map { $0.map { latency[$0] }.max()! }.reduce(0, +)) / 1000
    var flow: JSONObject = [
      "flow_id": "makespan", "provider_id": "mistral", "nodes": .array(nodes), "edges": .array(edges),
      // Calls, not the cache, are what is measured.
      "options": ["max_concurrency": 200, "cache": "off"],
    ]
    // With quotas: every limit set (high enough never to wait) and a budget, so every call is
    // admitted through all of them.
    let quotaSettings: JSONObject =
      quotas
      ? [
        "quotas": [
          "default": ["max_live_runs": 10, "provider_calls_per_minute": 1_000_000, "tokens_per_day": 1_000_000_000_000]
        ]
      ] : [:]
    if quotas {
      flow["quota_key"] = "bench-user"
      flow["options"] = [
        "max_concurrency": 200, "cache": "off", "budget": ["max_provider_calls": 100_000, "max_tokens": 1_000_000_000],
      ]
    }
    var ratios: [Double] = []
    var makespans: [Double] = []
    for _ in 0..<3 {
      let peer = try BenchmarkPeer(binary: binary, environment: environment(server))
      try initialize(peer, maxConcurrency: 256, settings: quotaSettings)
      let begin = ContinuousClock.now
      peer.send(start(.object(flow), id: 1))
      try peer.waitForTerminals(1)
      let makespan = (ContinuousClock.now - begin).seconds
      makespans.append(makespan)
      ratios.append(makespan / criticalPath)
      peer.stop()
    }
    ratios.sort()
    makespans.sort()
    return [
      Measurement(
        name:
          "200-node LLM DAG (20–400 ms per node): critical path \(String(format: "%.3f", criticalPath)) s, level-by-level schedule \(String(format: "%.3f", levelSchedule)) s (\(String(format: "%.2f", levelSchedule / criticalPath))× the critical path); makespan, median of 3",
        value: makespans[1], unit: "s", target: "-"),
      Measurement(
        name: "makespan ÷ critical path (median of 3)\(quotas ? ", with every quota limit and a budget checked per call" : "")",
        value: ratios[1], unit: "", target: "<= 1.02"),
    ]
  }

  /// (b) `execution.cancel` with 100 streaming calls in flight: time to `execution.cancelled`,
  /// and the connections the fake provider saw closed.
  static func cancelLatency(binary: String, repetitions: Int = 20) async throws -> [Measurement] {
    let server = try await FakeProviderServer.start()
    defer { Task { await server.stop() } }
    let peer = try BenchmarkPeer(binary: binary, environment: environment(server))
    defer { peer.stop() }
    try initialize(peer, maxConcurrency: 128)
    let nodes: [JSONValue] =
      [["id": "p", "type": "initialPrompt", "data": ["text": "once upon a time"]]]
      + (0..<100).map { ["id": .string("s\($0)"), "type": "storyTeller", "data": [:]] }
    let edges: [JSONValue] = (0..<100).map { ["source": "p", "target": .string("s\($0)")] }
    let flow: JSONValue = [
      "provider_id": "mistral", "nodes": .array(nodes), "edges": .array(edges),
      "options": ["stream": true, "max_concurrency": 128, "cache": "off"],
    ]
    var samples: [Double] = []
    var closedAll = 0
    for run in 0..<repetitions {
      for _ in 0..<100 { server.script("mistral", FakeBehavior(.stall)) }
      let requestsBefore = server.requests.count
      let disconnectsBefore = server.disconnects
      let terminalsBefore = peer.terminals
      peer.send(start(flow, id: 100 + run))
      while server.requests.count < requestsBefore + 100 { try await Task.sleep(for: .microseconds(200)) }
      try await Task.sleep(for: .milliseconds(20))
      let runID = try runID(peer, requestID: 100 + run)
      let begin = ContinuousClock.now
      peer.send(frame(#"{"jsonrpc":"2.0","id":\#(5000 + run),"method":"execution.cancel","params":{"run_id":"\#(runID)"}}"#))
      try peer.waitForTerminals(terminalsBefore + 1)
      samples.append((ContinuousClock.now - begin).seconds * 1000)
      let deadline = ContinuousClock.now + .seconds(5)
      while server.disconnects < disconnectsBefore + 100, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(1))
      }
      if server.disconnects >= disconnectsBefore + 100 { closedAll += 1 }
    }
    samples.sort()
    return [
      Measurement(
        name: "cancel with 100 streaming calls in flight → execution.cancelled, p50", value: samples[samples.count / 2],
        unit: "ms", target: "<= 5 ms"),
      Measurement(name: "… p99 (max of \(repetitions))", value: samples.last!, unit: "ms", target: "<= 20 ms"),
      Measurement(
        name: "runs whose 100 connections the fake provider saw closed", value: Double(closedAll), unit: "of \(repetitions)",
        target: "all"),
    ]
  }

  static func runID(_ peer: BenchmarkPeer, requestID: Int) throws -> String {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
      // Answers arrive before the run's notifications; scan the frames seen so far.
      if let id = peer.answers.withLock({ $0[requestID] }) { return id }
      usleep(100)
    }
    throw BenchmarkError("no run id for request \(requestID)")
  }

  /// (c) 1,000 concurrent runs of 10 chained LLM nodes at 50 ms each: wall time against the
  /// ideal (10 × 50 ms), and the engine's peak RSS.
  static func manyRuns(binary: String, runs: Int = 1000) async throws -> [Measurement] {
    let server = try await FakeProviderServer.start()
    defer { Task { await server.stop() } }
    let peer = try BenchmarkPeer(binary: binary, environment: environment(server))
    defer { peer.stop() }
    try initialize(peer, maxConcurrency: runs)
    var nodes: [JSONValue] = [["id": "p", "type": "initialPrompt", "data": ["text": "a knight"]]]
    var edges: [JSONValue] = []
    for index in 0..<10 {
      nodes.append(["id": .string("e\(index)"), "type": "promptEnhancer", "data": ["notes": "fake-latency-ms=50"]])
      edges.append(["source": .string(index == 0 ? "p" : "e\(index - 1)"), "target": .string("e\(index)")])
    }
    let flow: JSONValue = [
      "provider_id": "mistral", "nodes": .array(nodes), "edges": .array(edges), "options": ["cache": "off"],
    ]
    var script: [UInt8] = []
    for run in 0..<runs { script += start(flow, id: 10 + run) }
    let begin = ContinuousClock.now
    peer.send(script)
    try peer.waitForTerminals(runs, timeout: .seconds(300))
    let wall = (ContinuousClock.now - begin).seconds
    return [
      Measurement(
        name: "\(runs) concurrent runs × 10 chained LLM nodes at 50 ms: wall time", value: wall, unit: "s", target: "-"),
      Measurement(name: "… ÷ ideal (0.5 s)", value: wall / 0.5, unit: "", target: "-"),
      Measurement(name: "… peak RSS of the engine", value: Double(peer.peakResidentKiB) / 1024, unit: "MiB", target: "<= 300 MB"),
      Measurement(name: "… provider requests served", value: Double(server.requests.count), unit: "", target: "\(runs * 10)"),
    ]
  }
}
