import FakeProvider
import FlowPersistence
import FlowRunnerTestSupport
import Foundation
import GRDB
import JSON
import JSONRPC
import Testing

/// The run journal (`journal.path`) against the built binary: runs listed and replayed across
/// engine restarts, pruning, a kill -9 mid-run, and files that cannot be used.
@Suite("Run journal, against the built binary")
struct JournalEndToEndTests {
  /// A fresh directory, removed by the caller.
  static func directory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-journal-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
  }

  static func flow(_ name: String, runID: String, options: JSONValue? = nil) throws -> JSONValue {
    guard case .object(var object) = try FixtureFiles.json("flows/\(name).json") else { return .null }
    object["run_id"] = .string(runID)
    if let options { object["options"] = options }
    return .object(object)
  }

  /// `{method, params}` of a notification, serialized: what `execution.events` must give back.
  static func replayForm(_ message: JSONValue) -> [UInt8] {
    JSONSerializer.serialize(["method": message["method"] ?? .null, "params": message["params"] ?? .null])
  }

  static func stop(_ peer: ProcessPeer) async throws {
    try peer.sendLSP(requestBody("shutdown", id: 900))
    var answer = try await peer.next()
    while answer["id"] != 900 { answer = try await peer.next() }
    try peer.sendLSP(notificationBody("exit"))
    #expect(try await peer.waitForExit(timeout: .seconds(5)) == 0)
    await peer.finish()
  }

  /// The answer to a request, past any notification that comes first.
  static func answer(_ peer: ProcessPeer, _ method: String, id: Int, params: JSONValue? = nil) async throws -> JSONValue {
    try peer.sendLSP(requestBody(method, id: .int(id), params: params))
    var message = try await peer.next(timeout: .seconds(10))
    while message["id"] != .int(id) { message = try await peer.next(timeout: .seconds(10)) }
    return message
  }

  /// Serialized messages as text, for readable failures.
  static func texts(_ values: [JSONValue]) -> [String] {
    values.map { String(decoding: JSONSerializer.serialize($0), as: UTF8.self) }
  }

  static func events(_ peer: ProcessPeer, _ runID: String, id: Int, afterSeq: Int = 0, limit: Int? = nil)
    async throws -> JSONValue
  {
    var params: JSONObject = ["run_id": .string(runID), "after_seq": .int(afterSeq)]
    if let limit { params["limit"] = .int(limit) }
    return try await answer(peer, "execution.events", id: id, params: .object(params))
  }

  @Test("a restarted engine lists yesterday's runs and replays them byte for byte")
  func replayAcrossRestart() async throws {
    let directory = try Self.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let settings: JSONValue = ["journal": ["path": .string(directory.appendingPathComponent("journal.sqlite").path)]]

    let first = try ProcessPeer()
    try await first.initialize(params: settings)
    var live: [String: [JSONValue]] = [:]
    let runs: [(String, String, JSONValue?)] = [
      ("j-handles", "handles", nil), ("j-stream", "long-chain", ["stream": true]),
      ("j-terminal", "scene-prompt", ["events": "terminal", "terminal_outputs": "sinks"]),
    ]
    for (index, (runID, name, options)) in runs.enumerated() {
      let flow = try Self.flow(name, runID: runID, options: options)
      _ = try await first.request("execution.start", id: .int(index + 1), params: flow)
      live[runID] = try await first.collectRun(runID).0
    }
    try await Self.stop(first)

    let second = try ProcessPeer()
    try await second.initialize(params: settings)
    let listed = try await second.request("execution.list", id: 1)
    let summaries = try #require(listed["result"]?["runs"]?.arrayValue)
    #expect(summaries.compactMap { $0["run_id"]?.stringValue } == ["j-terminal", "j-stream", "j-handles"])
    for summary in summaries {
      #expect(summary["state"] == "completed")
      #expect(summary["done"] == summary["total"])
    }
    for (index, (runID, _, _)) in runs.enumerated() {
      let replay = try await Self.events(second, runID, id: 10 + index)
      #expect(replay["result"]?["ended"] == true)
      let replayed = try #require(replay["result"]?["events"]?.arrayValue)
      let sent = try #require(live[runID])
      #expect(Self.texts(replayed) == sent.map { String(decoding: Self.replayForm($0), as: UTF8.self) })
      // Paging: after_seq and limit cut the same stream.
      let page = try await Self.events(second, runID, id: 20 + index, afterSeq: 1, limit: 2)
      #expect(
        page["result"]?["events"]?.arrayValue?.map(JSONSerializer.serialize)
          == Array(sent.map(Self.replayForm)[1..<min(3, sent.count)]))
    }
    // A journaled run's id stays taken.
    let reused = try await second.request("execution.start", id: 30, params: try Self.flow("handles", runID: "j-handles"))
    expectError(reused, code: -32602, id: 30)
    let completed = try await second.request("execution.list", id: 31, params: ["state": "failed"])
    #expect(completed["result"]?["runs"] == [])
    await second.finish()
  }

  @Test("past max_runs the oldest runs are pruned; live runs are listed first")
  func pruning() async throws {
    let directory = try Self.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let settings: JSONValue = [
      "journal": ["path": .string(directory.appendingPathComponent("journal.sqlite").path), "max_runs": 3]
    ]
    let first = try ProcessPeer()
    try await first.initialize(params: settings)
    for index in 1...5 {
      _ = try await first.request("execution.start", id: .int(index), params: try Self.flow("handles", runID: "p-\(index)"))
      _ = try await first.collectRun("p-\(index)")
    }
    try await Self.stop(first)

    let (server, second) = try await CacheEndToEndTests.engineOnFakeProvider(settings: settings)
    let started = try await second.request(
      "execution.start", id: 1,
      params: CacheEndToEndTests.flow(count: 1, tag: " long", model: "fake-latency-ms=20000", options: ["cache": "off"]))
    let liveID = try #require(started["result"]?["run_id"]?.stringValue)
    let listed = try await Self.answer(second, "execution.list", id: 2)
    let ids = listed["result"]?["runs"]?.arrayValue?.compactMap { $0["run_id"]?.stringValue }
    #expect(ids == [liveID, "p-5", "p-4", "p-3"])
    let limited = try await Self.answer(second, "execution.list", id: 3, params: ["limit": 2])
    #expect(limited["result"]?["runs"]?.arrayValue?.compactMap { $0["run_id"]?.stringValue } == [liveID, "p-5"])
    let pruned = try await Self.events(second, "p-1", id: 4)
    expectError(pruned, code: -32004, id: 4)
    _ = try await Self.answer(second, "execution.cancel", id: 5, params: ["run_id": .string(liveID)])
    await second.finish()
    await server.stop()
  }

  @Test("kill -9 mid-run: the next engine lists the run as failed and replays what was sent; the file stays sound")
  func killedMidRun() async throws {
    let directory = try Self.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("journal.sqlite").path
    let settings: JSONValue = ["journal": ["path": .string(path)]]
    let (server, first) = try await CacheEndToEndTests.engineOnFakeProvider(settings: settings)
    guard
      case .object(var flow) = CacheEndToEndTests.flow(
        count: 4, tag: " killed", model: "fake-latency-ms=20000", options: ["cache": "off"])
    else { return }
    flow["run_id"] = "k-1"
    _ = try await first.request("execution.start", id: 1, params: .object(flow))
    #expect(await server.wait { requests, _ in requests >= 4 })
    // The prompts have completed and the translators are waiting on the provider.
    var seen: [JSONValue] = []
    while seen.filter({ $0["method"] == "execution.node.completed" }).count < 4 {
      seen.append(try await first.next(timeout: .seconds(10)))
    }
    // What follows at once (the translators' running statuses) is sent too.
    while let message = try? await first.next(timeout: .milliseconds(300)) { seen.append(message) }
    kill(first.processID, SIGKILL)
    _ = try await first.waitForExit(timeout: .seconds(5))
    await first.finish()
    #expect(try RunJournal.integrityCheck(path: path) == ["ok"])

    let second = try ProcessPeer()
    try await second.initialize(params: settings)
    let listed = try await second.request("execution.list", id: 1)
    let run = try #require(listed["result"]?["runs"]?.arrayValue?.first)
    #expect(run["run_id"] == "k-1" && run["state"] == "failed" && run["total"] == 8 && run["done"] == 4)
    let replay = try await Self.events(second, "k-1", id: 2)
    #expect(replay["result"]?["ended"] == true)
    let replayed = try #require(replay["result"]?["events"]?.arrayValue)
    #expect(Self.texts(replayed) == seen.map { String(decoding: Self.replayForm($0), as: UTF8.self) })
    await second.finish()
    await server.stop()
  }

  @Test(
    "a journal file that cannot be used is one warning; the engine serves and remembers runs in memory",
    arguments: ["not-a-database", "missing-directory", "under-a-file", "locked", "read-only-filesystem"])
  func unusableJournal(kind: String) async throws {
    let directory = try Self.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var holder: DatabaseQueue?
    var path = directory.appendingPathComponent("journal.sqlite").path
    switch kind {
    case "not-a-database":
      try Data(String(repeating: "this is not SQLite\n", count: 500).utf8).write(to: URL(fileURLWithPath: path))
    case "missing-directory":
      path = directory.appendingPathComponent("no/such/directory/journal.sqlite").path
    case "read-only-filesystem":
      path = "/proc/flowrunner-journal-\(UUID().uuidString).sqlite"  // nothing, not even root, creates files there
    case "under-a-file":
      try Data("x".utf8).write(to: directory.appendingPathComponent("plain"))
      path = directory.appendingPathComponent("plain/journal.sqlite").path
    default:
      // Another process holds the file locked for as long as the engine lives.
      var configuration = Configuration()
      configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
      let queue = try DatabaseQueue(path: path, configuration: configuration)
      try await queue.write { db in try db.execute(sql: "CREATE TABLE holder (x)") }
      holder = queue
    }
    defer { _ = holder }
    let peer = try ProcessPeer()
    try await peer.initialize(params: ["journal": ["path": .string(path)]])
    _ = try await peer.request("execution.start", id: 1, params: try Self.flow("handles", runID: "u-1"))
    let (log, _) = try await peer.collectRun("u-1")
    let listed = try await peer.request("execution.list", id: 2)
    #expect(listed["result"]?["runs"]?.arrayValue?.first?["run_id"] == "u-1")
    let replay = try await Self.events(peer, "u-1", id: 3)
    #expect(replay["result"]?["events"]?.arrayValue?.map(JSONSerializer.serialize) == log.map(Self.replayForm))
    try await peer.waitForStandardError(containing: "journal file")
    let warnings = String(decoding: peer.standardError, as: UTF8.self).components(separatedBy: "journal file").count - 1
    #expect(warnings == 1)
    await peer.finish()
  }

  @Test("a full disk under the cache and journal files is one warning each; runs go on and the engine stays up")
  func fullDisk() async throws {
    let directory = try Self.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let settings: JSONValue = [
      "journal": ["path": .string(directory.appendingPathComponent("journal.sqlite").path)],
      "cache": ["path": .string(directory.appendingPathComponent("cache.sqlite").path)],
    ]
    let server = try await FakeProviderServer.start()
    let peer = try ProcessPeer(
      options: PeerOptions(
        environment: providerEnvironment("mistral", server: server, key: "sk-c"), fileSizeLimit: 96 << 10))
    try await peer.initialize(params: settings)
    for index in 0..<60 {
      guard case .object(var flow) = CacheEndToEndTests.flow(count: 1, tag: " full \(index)") else { return }
      flow["run_id"] = .string("f-\(index)")
      _ = try await Self.answer(peer, "execution.start", id: index + 1, params: .object(flow))
      let (log, _) = try await peer.collectRun("f-\(index)")
      #expect(log.last?["method"] == "execution.completed")
    }
    try await peer.waitForStandardError(containing: "journal file")
    try await peer.waitForStandardError(containing: "cache file")
    let stderr = String(decoding: peer.standardError, as: UTF8.self)
    #expect(stderr.components(separatedBy: "failed to write").count - 1 == 2, "\(stderr)")
    // Still serving, from memory: the last run is listed and replayed, the cache still hits.
    let listed = try await Self.answer(peer, "execution.list", id: 100, params: ["limit": 1])
    #expect(listed["result"]?["runs"]?.arrayValue?.first?["run_id"] == "f-59")
    let replay = try await Self.events(peer, "f-59", id: 101)
    #expect(replay["result"]?["ended"] == true)
    let calls = server.requests.count
    guard case .object(var again) = CacheEndToEndTests.flow(count: 1, tag: " full 59") else { return }
    again["run_id"] = "again"
    _ = try await Self.answer(peer, "execution.start", id: 102, params: .object(again))
    _ = try await peer.collectRun("again")
    #expect(server.requests.count == calls)
    try await Self.stop(peer)
    await server.stop()
  }

  @Test("kill -9 in a loop while runs write the journal: the file stays sound and the next engine lists every run")
  func killLoop() async throws {
    let directory = try Self.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("journal.sqlite").path
    let settings: JSONValue = ["journal": ["path": .string(path)]]
    var started: [String] = []
    for round in 0..<4 {
      let peer = try ProcessPeer()
      try await peer.initialize(params: settings)
      var script: [UInt8] = []
      for index in 0..<8 {
        let runID = "kl\(round)-\(index)"
        started.append(runID)
        script += lspFrame(
          requestBody("execution.start", id: .int(100 + index), params: try Self.flow("long-chain", runID: runID)))
      }
      try peer.send(script)
      var seen = 0
      while seen < 100 + round * 100 {
        _ = try await peer.next(timeout: .seconds(20))
        seen += 1
      }
      kill(peer.processID, SIGKILL)
      _ = try await peer.waitForExit(timeout: .seconds(5))
      await peer.finish()
      #expect(try RunJournal.integrityCheck(path: path) == ["ok"])
    }
    let reader = try ProcessPeer()
    try await reader.initialize(params: settings)
    let listed = try await Self.answer(reader, "execution.list", id: 1)
    let runs = try #require(listed["result"]?["runs"]?.arrayValue)
    let ids = Set(runs.compactMap { $0["run_id"]?.stringValue })
    // Every run whose start reached the journal is listed, ended one way or the other.
    #expect(ids.isSubset(of: Set(started)) && ids.count >= 4)
    #expect(runs.allSatisfy { $0["state"] == "completed" || $0["state"] == "failed" })
    for run in runs.prefix(5) {
      let replay = try await Self.events(reader, run["run_id"]?.stringValue ?? "", id: 2)
      let events = try #require(replay["result"]?["events"]?.arrayValue)
      #expect(events.first?["method"] == "execution.started")
      #expect(events.enumerated().allSatisfy { $0.element["params"]?["seq"] == .int($0.offset + 1) })
    }
    await reader.finish()
  }
}
