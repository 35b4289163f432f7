import FlowExecution
import NIOCore
import PostgresNIO
import Signals

/// The cache's entries in PostgreSQL, shared by every engine process on the database: read
/// after a local miss, written through after a call. The table is created on first use; an
/// outage answers "nothing" (see ``PostgresSharedState``), so the engine goes on with its local
/// cache.
public final class PostgresCacheStore: SharedCacheStore {
  private let database: PostgresSharedState
  private let maxEntries: Int
  private let schema = SchemaOnce()
  /// Stores since the last pruning: the oldest entries past `maxEntries` are deleted every so
  /// many stores, not on each.
  private let storesSincePrune = Locked(0)

  /// A store on `database` keeping about `maxEntries` entries.
  public init(database: PostgresSharedState, maxEntries: Int) {
    self.database = database
    self.maxEntries = maxEntries
  }

  public var location: String { database.location }

  public func load(_ key: CacheKey) async -> ResponseCache.Entry? {
    guard await ensureSchema() else { return nil }
    let hex = key.hex
    return await database.perform("read") { client -> ResponseCache.Entry? in
      let rows = try await client.query(
        """
        SELECT e.node_type, e.text, e.input_tokens, e.output_tokens, e.image_sha256, i.mime_type, i.width, i.height, i.bytes
        FROM flowrunner_cache e LEFT JOIN flowrunner_cache_images i ON i.sha256 = e.image_sha256 WHERE e.key = \(hex)
        """)
      for try await (nodeType, text, input, output, digest, mimeType, width, height, bytes) in rows.decode(
        (String, String, Int?, Int?, String?, String?, Int?, Int?, ByteBuffer?).self)
      {
        var image: ResponseCache.CachedImage?
        if let digest {
          guard let mimeType, let width, let height, let bytes else { return nil }
          image = ResponseCache.CachedImage(
            mimeType: mimeType, width: width, height: height, sha256: digest, bytes: Array(bytes.readableBytesView))
        }
        return ResponseCache.Entry(text: text, inputTokens: input, outputTokens: output, nodeType: nodeType, image: image)
      }
      return nil
    } ?? nil
  }

  public func save(_ key: CacheKey, _ entry: ResponseCache.Entry) async {
    guard await ensureSchema() else { return }
    let hex = key.hex
    let prune = storesSincePrune.withLock { count -> Bool in
      count += 1
      guard count >= 64 else { return false }
      count = 0
      return true
    }
    _ = await database.perform("write") { [maxEntries] client in
      if let image = entry.image {
        // Stored once by digest, however many entries (and engines) name it.
        let bytes = ByteBuffer(bytes: image.bytes)
        try await client.query(
          """
          INSERT INTO flowrunner_cache_images (sha256, mime_type, width, height, bytes)
          VALUES (\(image.sha256), \(image.mimeType), \(image.width), \(image.height), \(bytes))
          ON CONFLICT (sha256) DO NOTHING
          """)
      }
      let digest = entry.image?.sha256
      try await client.query(
        """
        INSERT INTO flowrunner_cache (key, node_type, text, input_tokens, output_tokens, used_at, image_sha256)
        VALUES (\(hex), \(entry.nodeType), \(entry.text), \(entry.inputTokens), \(entry.outputTokens), now(), \(digest))
        ON CONFLICT (key) DO UPDATE SET node_type = EXCLUDED.node_type, text = EXCLUDED.text,
          input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens, used_at = now(),
          image_sha256 = EXCLUDED.image_sha256
        """)
      if prune {
        try await client.query(
          """
          DELETE FROM flowrunner_cache WHERE key IN (
            SELECT key FROM flowrunner_cache ORDER BY used_at DESC OFFSET \(maxEntries))
          """)
        try await PostgresSchema.deleteOrphanImages(client)
      }
    }
  }

  public func remove(nodeType: String?) async -> Int {
    guard await ensureSchema() else { return 0 }
    return await database.perform("write") { client -> Int in
      let rows: PostgresRowSequence
      if let nodeType {
        rows = try await client.query("DELETE FROM flowrunner_cache WHERE node_type = \(nodeType) RETURNING 1")
      } else {
        rows = try await client.query("DELETE FROM flowrunner_cache RETURNING 1")
      }
      var removed = 0
      for try await _ in rows { removed += 1 }
      try await PostgresSchema.deleteOrphanImages(client)
      return removed
    } ?? 0
  }

  public func count() async -> Int? {
    guard await ensureSchema() else { return nil }
    return await database.perform("read") { client -> Int in
      for try await (count) in try await client.query("SELECT COUNT(*) FROM flowrunner_cache").decode(Int.self) {
        return count
      }
      return 0
    }
  }

  /// Creates the table once per process (and again after an outage if the first try failed).
  private func ensureSchema() async -> Bool {
    let database = self.database
    return await schema.ensure {
      await database.perform("create its tables") { client in try await PostgresSchema.create(client) } != nil
    }
  }
}

/// The shared tables, created if missing. Two engines creating them at the same moment may
/// collide on PostgreSQL's catalog; the loser tries once more.
enum PostgresSchema {
  static func create(_ client: PostgresClient) async throws {
    do {
      try await createOnce(client)
    } catch let error as PSQLError where error.code == .server {
      try await createOnce(client)
    }
  }

  private static func createOnce(_ client: PostgresClient) async throws {
    try await client.query(
      """
      CREATE TABLE IF NOT EXISTS flowrunner_cache (
        key TEXT PRIMARY KEY,
        node_type TEXT NOT NULL,
        text TEXT NOT NULL,
        input_tokens BIGINT,
        output_tokens BIGINT,
        used_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )
      """)
    try await client.query("CREATE INDEX IF NOT EXISTS flowrunner_cache_used_at ON flowrunner_cache (used_at)")
    try await client.query("ALTER TABLE flowrunner_cache ADD COLUMN IF NOT EXISTS image_sha256 TEXT")
    try await client.query(
      """
      CREATE TABLE IF NOT EXISTS flowrunner_cache_images (
        sha256 TEXT PRIMARY KEY,
        mime_type TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        bytes BYTEA NOT NULL
      )
      """)
  }

  /// Deletes the images no entry names any more.
  static func deleteOrphanImages(_ client: PostgresClient) async throws {
    try await client.query(
      """
      DELETE FROM flowrunner_cache_images WHERE sha256 NOT IN (
        SELECT image_sha256 FROM flowrunner_cache WHERE image_sha256 IS NOT NULL)
      """)
  }
}
