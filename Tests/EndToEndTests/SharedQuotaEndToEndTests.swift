import FakeProvider
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

/// Quota counters shared through PostgreSQL by several engines, against the built binary.
@Suite(
  "Quotas shared by engines on one PostgreSQL, against the built binary", .serialized,
  .enabled(if: PostgresServer.binaries != nil, Comment(rawValue: PostgresServer.skipReason)))
struct SharedQuotaEndToEndTests {
  static func engine(_ server: FakeProviderServer, database: PostgresServer, quotas: JSONValue) async throws
    -> ProcessPeer
  {
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("mistral", server: server, key: "sk-q")))
    try await peer.initialize(params: ["shared_state": ["postgres_url": .string(database.url)], "quotas": quotas])
    return peer
  }

  @Test("100 starts at once from two engines never pass one max_live_runs; the refused ones are -32005")
  func liveRunsAcrossEngines() async throws {
    let database = try await PostgresServer.start()
    let server = try await FakeProviderServer.start()
    // Closed: a database too slow to answer refuses a start rather than let it pass the limit.
    let quotas: JSONValue = ["keys": ["fleet": ["max_live_runs": 7]], "on_store_error": "closed"]
    let engines = [
      try await Self.engine(server, database: database, quotas: quotas),
      try await Self.engine(server, database: database, quotas: quotas),
    ]
    for (number, engine) in engines.enumerated() {
      var script: [UInt8] = []
      for index in 0..<50 {
        let flow = QuotaEndToEndTests.flow(
          count: 1, tag: "fleet", model: "fake-latency-ms=20000",
          members: ["quota_key": "fleet", "run_id": .string("f\(number)-\(index)")])
        script += lspFrame(requestBody("execution.start", id: .int(1000 + index), params: flow))
      }
      try engine.send(script)
    }
    var started = 0
    var refused = 0
    for engine in engines {
      var answers = 0
      while answers < 50 {
        let message = try await engine.next(timeout: .seconds(30))
        guard let id = message["id"]?.intValue, id >= 1000 else { continue }
        answers += 1
        if message["result"] != nil { started += 1 }
        if message["error"]?["code"] == -32005 {
          refused += 1
          #expect(message["error"]?["data"] == ["limit": "max_live_runs", "max": 7])
        }
      }
    }
    // Never past the limit; on a quiet machine exactly at it (a loaded one may refuse more).
    #expect(started + refused == 100)
    #expect(started >= 1 && started <= 7, "\(started) started")
    let status = try await JournalEndToEndTests.answer(engines[0], "quota.status", id: 1, params: ["quota_key": "fleet"])
    #expect(status["result"]?["live_runs"] == .int(started))
    // An engine that dies releases its runs within the lease (30 s): here, its clean exit does
    // at once for the runs it cancels.
    for engine in engines { await engine.finish() }
    await server.stop()
    await database.remove()
  }

  @Test("provider_calls_per_minute counts the calls of both engines together")
  func callsAcrossEngines() async throws {
    let database = try await PostgresServer.start()
    let server = try await FakeProviderServer.start()
    let quotas: JSONValue = ["keys": ["pair": ["provider_calls_per_minute": 3]]]
    let first = try await Self.engine(server, database: database, quotas: quotas)
    let second = try await Self.engine(server, database: database, quotas: quotas)
    for (index, engine) in [first, second].enumerated() {
      _ = try await JournalEndToEndTests.answer(
        engine, "execution.start", id: 1,
        params: QuotaEndToEndTests.flow(
          count: 2, tag: "pair\(index)", members: ["quota_key": "pair", "run_id": .string("pair-\(index)")]))
    }
    // Three calls go; the fourth waits, on whichever engine asks last.
    var waiting = false
    let deadline = ContinuousClock.now + .seconds(10)
    while !waiting, ContinuousClock.now < deadline {
      for engine in [first, second] {
        if let message = try? await engine.next(timeout: .milliseconds(100)),
          message["params"]?["status"] == "waiting"
        {
          waiting = true
        }
      }
    }
    #expect(waiting)
    // The three admitted calls reach the provider (the last may still be on its way); the
    // fourth does not.
    #expect(await server.wait { requests, _ in requests >= 3 })
    #expect(await !server.wait(timeout: .milliseconds(300)) { requests, _ in requests > 3 })
    let status = try await JournalEndToEndTests.answer(second, "quota.status", id: 2, params: ["quota_key": "pair"])
    #expect(status["result"]?["calls_last_minute"] == 3)
    // Round trips on a call's path: one function call per admission (the three admitted, and
    // the waiting call's tries), nothing else per call.
    // (Statistics reach the view when a session goes idle, within about a second.)
    var admissions = -1
    for _ in 0..<20 where admissions < 3 {
      try await Task.sleep(for: .milliseconds(250))
      let answer = await database.query(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'flowrunner_admit_call'")
      admissions = Int(answer ?? "") ?? -1
    }
    #expect(admissions >= 3 && admissions <= 3 + 12, "\(admissions) admissions for 3 calls and one wait")
    await first.finish()
    await second.finish()
    await server.stop()
    await database.remove()
  }

  @Test("an engine killed with live runs releases them through its lease, within about 30 seconds")
  func leaseFreesDeadEnginesRuns() async throws {
    let database = try await PostgresServer.start()
    let server = try await FakeProviderServer.start()
    let quotas: JSONValue = ["keys": ["lease": ["max_live_runs": 1]], "on_store_error": "closed"]
    let doomed = try await Self.engine(server, database: database, quotas: quotas)
    let slow = QuotaEndToEndTests.flow(
      count: 1, tag: "lease", model: "fake-latency-ms=60000", members: ["quota_key": "lease", "run_id": "held"])
    let held = try await JournalEndToEndTests.answer(doomed, "execution.start", id: 1, params: slow)
    #expect(held["result"]?["run_id"] == "held")
    kill(doomed.processID, SIGKILL)
    _ = try await doomed.waitForExit(timeout: .seconds(5))
    await doomed.finish()
    let killedAt = ContinuousClock.now
    let survivor = try await Self.engine(server, database: database, quotas: quotas)
    var attempt = 0
    var started = false
    // The dead engine's run holds the slot until its lease runs out; then a start gets it.
    while !started, ContinuousClock.now - killedAt < .seconds(45) {
      attempt += 1
      let answer = try await JournalEndToEndTests.answer(
        survivor, "execution.start", id: 10 + attempt,
        params: QuotaEndToEndTests.flow(
          count: 1, tag: "after \(attempt)", model: "fake-latency-ms=60000",
          members: ["quota_key": "lease", "run_id": .string("after-\(attempt)")]))
      started = answer["result"] != nil
      if !started {
        #expect(answer["error"]?["code"] == -32005)
        try await Task.sleep(for: .seconds(2))
      }
    }
    #expect(started && attempt > 1, "the slot was free at once, or never")
    #expect(ContinuousClock.now - killedAt < .seconds(40))
    await survivor.finish()
    await server.stop()
    await database.remove()
  }
}
