import FlowExecution
import FlowPersistence
import FlowProviders
import Foundation
import Logging
import Testing

/// The cache file on its own: entry limit, replacement and clearing on a real SQLite file.
@Suite("SQLite cache store")
struct SQLiteCacheStoreTests {
  static func key(_ index: Int) -> CacheKey {
    CacheKey(
      nodeType: "translator", executorVersion: "1", template: "translate@1", providerID: "mistral",
      request: ChatRequest(model: "m", messages: [ChatMessage(role: "user", content: "text \(index)")]))
  }

  static func entry(_ text: String, nodeType: String = "translator") -> ResponseCache.Entry {
    ResponseCache.Entry(text: text, inputTokens: 1, outputTokens: 2, nodeType: nodeType)
  }

  @Test("past max_entries the oldest entries go; replacing an entry does not count twice; a reopened file keeps its count")
  func entryLimit() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("cache.sqlite").path
    let logger = Logger(label: "test")
    let store = try #require(SQLiteCacheStore.open(path: path, maxEntries: 3, logger: logger))
    for index in 0..<3 { store.save(Self.key(index), Self.entry("reply \(index)")) }
    store.save(Self.key(1), Self.entry("reply 1, again"))
    #expect(store.count == 3)
    #expect(store.load(Self.key(1))?.text == "reply 1, again")
    store.save(Self.key(3), Self.entry("reply 3"))
    #expect(store.count == 3)
    #expect(store.load(Self.key(0)) == nil)  // the oldest
    #expect(store.load(Self.key(3))?.inputTokens == 1)

    // A second store on the same file counts what is there and keeps the limit.
    let reopened = try #require(SQLiteCacheStore.open(path: path, maxEntries: 3, logger: logger))
    reopened.save(Self.key(4), Self.entry("reply 4", nodeType: "compressor"))
    #expect(reopened.count == 3)
    #expect(reopened.remove(nodeType: "compressor") == 1)
    #expect(reopened.count == 2)
    #expect(reopened.remove(nodeType: nil) == 2)
    #expect(try SQLiteCacheStore.integrityCheck(path: path) == ["ok"])
  }

  @Test("images are stored once by digest, whatever number of entries name them, and go with the last of them")
  func imagesByDigest() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("cache.sqlite").path
    let store = try #require(SQLiteCacheStore.open(path: path, maxEntries: 10, logger: Logger(label: "test")))
    let picture = ResponseCache.CachedImage(
      mimeType: "image/png", width: 2, height: 1, sha256: String(repeating: "ab", count: 32), bytes: [1, 2, 3, 4])
    store.save(Self.key(1), ResponseCache.Entry(text: "", nodeType: "imageGenerator", image: picture))
    store.save(Self.key(2), ResponseCache.Entry(text: "", nodeType: "imageGenerator", image: picture))
    store.save(Self.key(3), Self.entry("text only"))
    #expect(store.count == 3 && store.imageCount == 1)
    let loaded = try #require(store.load(Self.key(2)))
    #expect(loaded.image == picture && loaded.text.isEmpty)
    #expect(store.load(Self.key(3))?.image == nil)
    _ = store.remove(nodeType: "translator")
    #expect(store.imageCount == 1)
    #expect(store.remove(nodeType: "imageGenerator") == 2)
    #expect(store.imageCount == 0)
  }
}
