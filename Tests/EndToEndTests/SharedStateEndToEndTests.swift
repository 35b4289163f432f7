import FakeProvider
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

/// `shared_state.postgres_url` against the built binary and a private PostgreSQL server: engines
/// sharing cache entries, outages and bad URLs.
@Suite(
  "Shared state on PostgreSQL, against the built binary", .serialized,
  .enabled(if: PostgresServer.binaries != nil, Comment(rawValue: PostgresServer.skipReason)))
struct SharedStateEndToEndTests {
  static func engine(_ server: FakeProviderServer, url: String) async throws -> ProcessPeer {
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("mistral", server: server, key: "sk-s")))
    try await peer.initialize(params: ["shared_state": ["postgres_url": .string(url)]])
    return peer
  }

  static func imageEngine(_ server: FakeProviderServer, url: String) async throws -> ProcessPeer {
    let peer = try ProcessPeer(options: PeerOptions(environment: providerEnvironment("huggingface", server: server, key: "sk-s")))
    try await peer.initialize(params: ["shared_state": ["postgres_url": .string(url)]])
    return peer
  }

  static func run(_ peer: ProcessPeer, tag: String, id: Int) async throws -> [JSONValue] {
    guard case .object(var flow) = CacheEndToEndTests.flow(count: 1, tag: tag) else { return [] }
    flow["run_id"] = .string("shared-\(id)")
    _ = try await JournalEndToEndTests.answer(peer, "execution.start", id: id, params: .object(flow))
    let (log, _) = try await peer.collectRun("shared-\(id)")
    #expect(log.last?["method"] == "execution.completed")
    return log
  }

  static func cached(_ log: [JSONValue]) -> Bool? {
    CacheEndToEndTests.completions(log).first?["cached"]?.boolValue
  }

  @Test("two engines on one PostgreSQL: the second engine's run is a hit, with no provider call")
  func twoEnginesShareAHit() async throws {
    let database = try await PostgresServer.start()
    let server = try await FakeProviderServer.start()
    let first = try await Self.engine(server, url: database.url)
    #expect(Self.cached(try await Self.run(first, tag: " shared", id: 1)) == false)
    #expect(server.requests.count == 1)

    let second = try await Self.engine(server, url: database.url)
    #expect(Self.cached(try await Self.run(second, tag: " shared", id: 1)) == true)
    #expect(server.requests.count == 1, "the second engine called the provider")
    let stats = try await JournalEndToEndTests.answer(second, "cache.stats", id: 2)
    #expect(stats["result"]?["shared"] == .string("postgres://postgres@127.0.0.1:\(database.port)/postgres"))
    #expect(stats["result"]?["entries"] == 1)
    // Cleared on one engine, gone for both.
    let cleared = try await JournalEndToEndTests.answer(first, "cache.clear", id: 3)
    #expect(cleared["result"]?["removed"] == 1)
    let third = try await Self.engine(server, url: database.url)
    #expect(Self.cached(try await Self.run(third, tag: " shared", id: 1)) == false)
    // Images are shared too, stored once by digest.
    let image = ImageEndToEndTests.generateFlow(provider: "huggingface", prompt: "a shared picture")
    let painter = try await Self.imageEngine(server, url: database.url)
    let painted = try await ImageEndToEndTests.run(painter, image, id: 1)
    let viewer = try await Self.imageEngine(server, url: database.url)
    let seen = try await ImageEndToEndTests.run(viewer, image, id: 1)
    #expect(ImageEndToEndTests.completion(seen, "g")?["cached"] == true)
    #expect(
      ImageEndToEndTests.completion(seen, "g")?["output"]?["image"]
        == ImageEndToEndTests.completion(painted, "g")?["output"]?["image"])
    for peer in [first, second, third, painter, viewer] { await peer.finish() }
    await server.stop()
    await database.remove()
  }

  @Test("an outage degrades to the local cache with one warning; when the database returns, entries are shared again")
  func outageAndRecovery() async throws {
    let database = try await PostgresServer.start()
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, url: database.url)
    _ = try await Self.run(peer, tag: " before", id: 1)
    await database.stop()
    for index in 2...4 {
      #expect(Self.cached(try await Self.run(peer, tag: " during \(index)", id: index)) == false)
    }
    // The local cache still answers.
    #expect(Self.cached(try await Self.run(peer, tag: " during 2", id: 5)) == true)
    try await peer.waitForStandardError(containing: "failed to")
    try await database.resume()
    try await Task.sleep(for: .seconds(2.5))  // the store rests two seconds after a failure
    _ = try await Self.run(peer, tag: " after", id: 6)
    try await peer.waitForStandardError(containing: "answers again")
    let stderr = String(decoding: peer.standardError, as: UTF8.self)
    #expect(stderr.components(separatedBy: "The shared state at").count - 1 == 2, "\(stderr)")  // one warning, one notice

    let calls = server.requests.count
    let other = try await Self.engine(server, url: database.url)
    #expect(Self.cached(try await Self.run(other, tag: " after", id: 1)) == true)
    #expect(Self.cached(try await Self.run(other, tag: " before", id: 2)) == true)
    #expect(server.requests.count == calls)
    await peer.finish()
    await other.finish()
    await server.stop()
    await database.remove()
  }

  @Test("a database that never answers: runs go on with the local cache, one warning")
  func unreachable() async throws {
    let server = try await FakeProviderServer.start()
    // Port 9 (discard) on loopback: nothing listens there.
    let peer = try await Self.engine(server, url: "postgres://nobody@127.0.0.1:9/none?sslmode=disable")
    _ = try await Self.run(peer, tag: " alone", id: 1)
    #expect(Self.cached(try await Self.run(peer, tag: " alone", id: 2)) == true)
    try await peer.waitForStandardError(containing: "The shared state at postgres://nobody@127.0.0.1:9/none")
    await peer.finish()
    await server.stop()
  }

  @Test("a URL that cannot be used is -32602 naming the setting, without repeating the URL")
  func badURL() async throws {
    for url in ["mysql://u:hunter2@db/x", "postgres://:hunter2@db/x", "postgres://u:hunter2@db/x?sslmode=sometimes"] {
      let peer = try ProcessPeer()
      try peer.sendLSP(requestBody("initialize", id: 1, params: ["shared_state": ["postgres_url": .string(url)]]))
      let answer = try await peer.next()
      expectError(answer, code: -32602, id: 1)
      let message = answer["error"]?["message"]?.stringValue ?? ""
      #expect(message.contains("shared_state.postgres_url") && !message.contains("hunter2"), "\(message)")
      await peer.finish()
    }
  }
}
