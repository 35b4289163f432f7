import FakeProvider
import FlowExecution
import FlowPersistence
import FlowProviders
import Foundation
import GRDB
import JSON
import Logging

/// What persistence costs: the run journal on the 10,000-node DAG, a cache hit read from the
/// SQLite file, and a cache file of 100,000 entries.
enum PersistenceBenchmarks {
  static func temporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
  }

  /// The DAG benchmark with and without `journal.path`, alternating so both see the same
  /// machine: execution.start → execution.completed per node, each run on a fresh engine (and,
  /// journaled, a fresh file).
  static func journalOverhead(binary: String, nodes count: Int, pairs: Int) throws -> [Measurement] {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var fileBytes = 0
    let (plain, journaled, ratios) = try pairedDAG(binary: binary, nodes: count, pairs: pairs) { pair in
      (["journal": ["path": .string(directory.appendingPathComponent("journal-\(pair).sqlite").path)]], [:])
    }
    for pair in 0..<pairs {
      let path = directory.appendingPathComponent("journal-\(pair).sqlite").path
      fileBytes = max(fileBytes, fileSize(path) + fileSize(path + "-wal"))
    }
    let plainMedian = plain[plain.count / 2]
    let journaledMedian = journaled[journaled.count / 2]
    return [
      Measurement(
        name: "\(count)-node DAG without a journal (median of \(pairs), alternating with the next)", value: plainMedian,
        unit: "µs/node", target: "-"),
      Measurement(
        name: "\(count)-node DAG with journal.path (median of \(pairs))", value: journaledMedian, unit: "µs/node",
        target: "-"),
      Measurement(
        name:
          "… journal overhead: with ÷ without, median of the \(pairs) pairs' ratios (quartiles \(String(format: "%.2f", ratios[pairs / 4])) – \(String(format: "%.2f", ratios[3 * pairs / 4])))",
        value: ratios[pairs / 2], unit: "×", target: "<= 1.15"),
      Measurement(
        name: "… journal file after one \(count)-node run (with its WAL)", value: Double(fileBytes) / 1_048_576,
        unit: "MiB", target: "-"),
    ]
  }

  /// The DAG benchmark in pairs, alternating which goes first: each run on a fresh engine,
  /// one plain, one with the settings and start members `variant(pair)` gives (and on
  /// `variantBinary`, when given). Returns both
  /// series sorted, and the pairs' ratios sorted (the machine's speed drifts between pairs; the
  /// ratio within a pair does much less).
  static func pairedDAG(
    binary: String, variantBinary: String? = nil, nodes count: Int, pairs: Int,
    variant: (Int) -> (settings: JSONValue, members: JSONObject)
  ) throws -> (plain: [Double], varied: [Double], ratios: [Double]) {
    guard case .object(let plainFlow) = GraphBenchmarks.dag(nodes: count) else { return ([], [], []) }
    func timed(_ settings: JSONValue, _ members: JSONObject, on binary: String) throws -> Double {
      var flow = plainFlow
      for (key, value) in members.members { flow[key] = value }
      let request = frame(
        JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "execution.start", "params": .object(flow)]).description)
      let peer = try BenchmarkPeer.initialized(binary: binary, settings: settings)
      defer { peer.stop() }
      let start = ContinuousClock.now
      peer.send(request)
      try peer.waitForTerminals(1)
      return (ContinuousClock.now - start).seconds * 1e6 / Double(count)
    }
    var plain: [Double] = []
    var varied: [Double] = []
    for pair in 0..<pairs {
      let (settings, members) = variant(pair)
      if pair.isMultiple(of: 2) {
        plain.append(try timed([:], [:], on: binary))
        varied.append(try timed(settings, members, on: variantBinary ?? binary))
      } else {
        varied.append(try timed(settings, members, on: variantBinary ?? binary))
        plain.append(try timed([:], [:], on: binary))
      }
    }
    let ratios = zip(varied, plain).map { $0 / $1 }.sorted()
    return (plain.sorted(), varied.sorted(), ratios)
  }

  /// The same pairs with every quota configured and the run under a quota key and a budget:
  /// what the bookkeeping costs a run that calls no provider.
  static func quotaOverhead(binary: String, nodes count: Int, pairs: Int) throws -> [Measurement] {
    let (plain, quoted, ratios) = try pairedDAG(binary: binary, nodes: count, pairs: pairs) { _ in
      (
        [
          "quotas": [
            "default": ["max_live_runs": 4, "provider_calls_per_minute": 60, "tokens_per_day": 200_000]
          ]
        ],
        ["quota_key": "bench-user", "options": ["max_concurrency": 32, "budget": ["max_provider_calls": 100]]]
      )
    }
    return [
      Measurement(
        name: "\(count)-node DAG without quotas / with a quota key, every limit and a budget (medians of \(pairs))",
        value: plain[plain.count / 2], unit: "µs/node", target: "-"),
      Measurement(name: "… with them", value: quoted[quoted.count / 2], unit: "µs/node", target: "-"),
      Measurement(
        name:
          "… with ÷ without, median of the \(pairs) pairs' ratios (quartiles \(String(format: "%.2f", ratios[pairs / 4])) – \(String(format: "%.2f", ratios[3 * pairs / 4])))",
        value: ratios[pairs / 2], unit: "×", target: "<= 1.05"),
    ]
  }

  /// A cache hit read from the SQLite file: one engine fills the file calling the fake
  /// provider; fresh engines (empty memory) on the same file then run the same 1,000
  /// translators one at a time, each answered from the file.
  static func sqliteHitLatency(binary: String, nodes count: Int = 1_000) async throws -> [Measurement] {
    let server = try await FakeProviderServer.start()
    defer { Task { await server.stop() } }
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let settings: JSONValue = [
      "providers": ["mistral": ["max_concurrency": 64]],
      "cache": ["path": .string(directory.appendingPathComponent("cache.sqlite").path)],
    ]
    let flow = CacheBenchmarks.translatorFlow(count: count, cache: "use")
    func timedRun() throws -> Double {
      let peer = try BenchmarkPeer(binary: binary, environment: ProviderBenchmarks.environment(server))
      defer { peer.stop() }
      peer.send(frame(JSONValue.object(["jsonrpc": "2.0", "id": 0, "method": "initialize", "params": settings]).description))
      try peer.waitForFrames(1)
      let begin = ContinuousClock.now
      peer.send(ProviderBenchmarks.start(flow, id: 1))
      try peer.waitForTerminals(1, timeout: .seconds(300))
      return (ContinuousClock.now - begin).seconds * 1e6 / Double(count)
    }
    let filling = try timedRun()
    let calls = server.requests.count
    var hits: [Double] = []
    for _ in 0..<5 { hits.append(try timedRun()) }
    hits.sort()
    return [
      Measurement(
        name:
          "cache hit read from the SQLite file: translator start → completion, one node at a time, fresh engine (median of 5 runs of \(count))",
        value: hits[2], unit: "µs/node", target: "<= 200 µs/node"),
      Measurement(
        name: "… the first run, calling the fake provider and writing each entry through", value: filling,
        unit: "µs/node", target: "-"),
      Measurement(
        name: "… provider requests for all 6 runs", value: Double(server.requests.count), unit: "",
        target: "\(calls) (the first run's)"),
    ]
  }

  /// A cache file of `entries` entries (replies of about 400 bytes): its size, the time to open
  /// it, an engine's spawn → `initialize` answer with it, a read, and a store once it is full.
  static func largeCacheFile(binary: String, entries: Int) throws -> [Measurement] {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("cache.sqlite").path
    let logger = Logger(label: "bench")
    guard SQLiteCacheStore.open(path: path, maxEntries: entries, logger: logger) != nil else {
      throw BenchmarkError("cannot create \(path)")
    }
    let reply = String(repeating: "Une phrase traduite pour remplir le cache. ", count: 9)
    let queue = try DatabaseQueue(path: path)
    var keys: [CacheKey] = []
    try queue.write { db in
      for index in 0..<entries {
        let key = key("bench", index)
        if index.isMultiple(of: 997), index > entries / 2 { keys.append(key) }  // not among the oldest, which stores evict
        try db.execute(
          sql: """
            INSERT INTO cache_entries (key, node_type, text, input_tokens, output_tokens, used_at)
            VALUES (?, 'translator', ?, 40, 90, ?)
            """,
          arguments: [key.hex, reply, index])
      }
    }
    try queue.close()
    let size = fileSize(path) + fileSize(path + "-wal")

    var openTimes: [Double] = []
    var readTimes: [Double] = []
    var storeTimes: [Double] = []
    for round in 0..<5 {
      let begin = ContinuousClock.now
      guard let store = SQLiteCacheStore.open(path: path, maxEntries: entries, logger: logger) else {
        throw BenchmarkError("cannot open \(path)")
      }
      openTimes.append((ContinuousClock.now - begin).seconds * 1e3)
      let readBegin = ContinuousClock.now
      for key in keys { guard store.load(key) != nil else { throw BenchmarkError("an entry is missing") } }
      readTimes.append((ContinuousClock.now - readBegin).seconds * 1e6 / Double(keys.count))
      let storeBegin = ContinuousClock.now
      for index in 0..<100 {
        store.save(
          key("bench-new", round * 100 + index),
          ResponseCache.Entry(text: reply, inputTokens: 40, outputTokens: 90, nodeType: "translator"))
      }
      storeTimes.append((ContinuousClock.now - storeBegin).seconds * 1e6 / 100)
    }
    var spawnTimes: [Double] = []
    for _ in 0..<5 {
      let begin = ContinuousClock.now
      let peer = try BenchmarkPeer.initialized(binary: binary, settings: ["cache": ["path": .string(path)]])
      spawnTimes.append((ContinuousClock.now - begin).seconds * 1e3)
      peer.stop()
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    return [
      Measurement(
        name: "cache file of \(entries) entries (~400-byte replies): size", value: Double(size) / 1_048_576, unit: "MiB",
        target: "-"),
      Measurement(name: "… open (median of 5)", value: median(openTimes), unit: "ms", target: "-"),
      Measurement(
        name: "… engine spawn → initialize answer with it (median of 5)", value: median(spawnTimes), unit: "ms",
        target: "-"),
      Measurement(name: "… a read by key (median of 5 rounds)", value: median(readTimes), unit: "µs", target: "-"),
      Measurement(
        name: "… a store into the full file, oldest entry deleted (median of 5 rounds of 100)", value: median(storeTimes),
        unit: "µs", target: "-"),
    ]
  }

  /// A distinct key per `index`.
  static func key(_ tag: String, _ index: Int) -> CacheKey {
    CacheKey(
      nodeType: "translator", executorVersion: "1", template: "translate@1", providerID: "mistral",
      request: ChatRequest(model: "mistral-small-latest", messages: [ChatMessage(role: "user", content: "\(tag) \(index)")]))
  }

  static func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
  }
}
