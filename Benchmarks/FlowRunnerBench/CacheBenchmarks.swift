import FakeProvider
import Foundation
import JSON

/// The server-side cache: how long a node answered from the cache takes.
enum CacheBenchmarks {
  /// 1,000 translator nodes, each fed by its own prompt (1,000 distinct keys), run one node at
  /// a time: once calling the fake provider over loopback, then again answered from the cache.
  /// With one node at a time, a run's wall time ÷ 1,000 bounds each translator's time from its
  /// start to its completion event (the prompt nodes and every notification included).
  static func hitLatency(binary: String, nodes count: Int = 1_000) async throws -> [Measurement] {
    let server = try await FakeProviderServer.start()
    defer { Task { await server.stop() } }
    func flow(cache: String) -> JSONValue { translatorFlow(count: count, cache: cache) }
    let peer = try BenchmarkPeer(binary: binary, environment: ProviderBenchmarks.environment(server))
    defer { peer.stop() }
    try ProviderBenchmarks.initialize(peer, maxConcurrency: 64)
    var terminals = 0
    func timedRun(_ flow: JSONValue, id: Int) throws -> Double {
      let begin = ContinuousClock.now
      peer.send(ProviderBenchmarks.start(flow, id: id))
      terminals += 1
      try peer.waitForTerminals(terminals, timeout: .seconds(300))
      return (ContinuousClock.now - begin).seconds
    }
    let called = try timedRun(flow(cache: "use"), id: 1)  // fills the cache
    var calledRuns = [called]
    for run in 0..<2 { calledRuns.append(try timedRun(flow(cache: "off"), id: 10 + run)) }
    var hitRuns: [Double] = []
    for run in 0..<5 { hitRuns.append(try timedRun(flow(cache: "use"), id: 20 + run)) }
    calledRuns.sort()
    hitRuns.sort()
    let perHit = hitRuns[2] / Double(count) * 1e6
    let perCall = calledRuns[1] / Double(count) * 1e6
    return [
      Measurement(
        name: "cache hit inside a run, memory: translator start → completion, one node at a time (median of 5 runs of \(count))",
        value: perHit, unit: "µs/node", target: "<= 50 µs/node"),
      Measurement(
        name: "… the same nodes calling the fake provider over loopback (median of 3)", value: perCall, unit: "µs/node",
        target: "-"),
      Measurement(
        name: "… provider requests for all 8 runs", value: Double(server.requests.count), unit: "", target: "\(3 * count)"),
    ]
  }

  /// `count` translator nodes on mistral, each fed by its own prompt, run one node at a time.
  static func translatorFlow(count: Int, cache: String) -> JSONValue {
    var nodes: [JSONValue] = []
    var edges: [JSONValue] = []
    for index in 0..<count {
      nodes.append(["id": .string("p\(index)"), "type": "initialPrompt", "data": ["text": .string("scene number \(index)")]])
      nodes.append(["id": .string("t\(index)"), "type": "translator", "data": ["language": "fr", "providerId": "mistral"]])
      edges.append(["source": .string("p\(index)"), "target": .string("t\(index)")])
    }
    return [
      "flow_id": "cache-bench", "nodes": .array(nodes), "edges": .array(edges),
      "options": ["max_concurrency": 1, "cache": .string(cache)],
    ]
  }
}
