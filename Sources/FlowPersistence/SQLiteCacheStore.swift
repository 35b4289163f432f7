import FlowExecution
import Foundation
import GRDB
import Logging
import Signals

/// The cache's entries in a SQLite file (`cache.path`), through GRDB: WAL mode, so reads run
/// beside the one writer, and every store is its own committed transaction, so a process killed
/// mid-write loses at most that entry. The oldest entries past `maxEntries` are deleted on write.
///
/// Faults never reach a run: a file that cannot be opened (a missing directory, a file that is
/// not a database, no permission) makes ``open(path:maxEntries:logger:)`` return `nil` with one
/// warning; a read or write that fails later logs one warning and turns the store off for the
/// rest of the process.
public final class SQLiteCacheStore: PersistentCacheStore {
  public let location: String
  private let pool: DatabasePool
  private let maxEntries: Int
  private let logger: Logger
  private let broken = Locked(false)
  /// The entries this process believes the file holds (exact unless other engines write it
  /// too): the oldest are deleted once it passes `maxEntries`, without counting the table on
  /// every store.
  private let entryCount: Locked<Int>

  private init(path: String, pool: DatabasePool, maxEntries: Int, count: Int, logger: Logger) {
    self.location = path
    self.pool = pool
    self.maxEntries = maxEntries
    self.entryCount = Locked(count)
    self.logger = logger
  }

  /// Opens (or creates) the file; `nil`, after one warning, when it cannot be used.
  public static func open(path: String, maxEntries: Int, logger: Logger) -> SQLiteCacheStore? {
    do {
      var configuration = Configuration()
      configuration.busyMode = .timeout(2)
      let pool = try DatabasePool(path: path, configuration: configuration)
      let count = try pool.write { db in
        try db.execute(
          sql: """
            CREATE TABLE IF NOT EXISTS cache_entries (
              key TEXT PRIMARY KEY NOT NULL,
              node_type TEXT NOT NULL,
              text TEXT NOT NULL,
              input_tokens INTEGER,
              output_tokens INTEGER,
              used_at INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS cache_entries_used_at ON cache_entries (used_at);
            CREATE TABLE IF NOT EXISTS cache_images (
              sha256 TEXT PRIMARY KEY NOT NULL,
              mime_type TEXT NOT NULL,
              width INTEGER NOT NULL,
              height INTEGER NOT NULL,
              bytes BLOB NOT NULL
            );
            """)
        // Files from before images: entries gain the digest of their image.
        let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(cache_entries)").map { $0["name"] as String }
        if !columns.contains("image_sha256") {
          try db.execute(sql: "ALTER TABLE cache_entries ADD COLUMN image_sha256 TEXT")
        }
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cache_entries") ?? 0
      }
      return SQLiteCacheStore(path: path, pool: pool, maxEntries: maxEntries, count: count, logger: logger)
    } catch {
      logger.warning("The cache file \(path) cannot be used (\(error)); the cache lives in memory only.")
      return nil
    }
  }

  /// SQLite's own check of a cache file (`PRAGMA integrity_check`): `["ok"]` for a sound file.
  public static func integrityCheck(path: String) throws -> [String] {
    let queue = try DatabaseQueue(path: path)
    return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
  }

  public func load(_ key: CacheKey) -> ResponseCache.Entry? {
    attempt("read") {
      try pool.read { db in
        try Row.fetchOne(
          db,
          sql: """
            SELECT e.node_type, e.text, e.input_tokens, e.output_tokens, e.image_sha256,
              i.mime_type, i.width, i.height, i.bytes
            FROM cache_entries e LEFT JOIN cache_images i ON i.sha256 = e.image_sha256 WHERE e.key = ?
            """,
          arguments: [key.hex]
        ).flatMap { row -> ResponseCache.Entry? in
          var image: ResponseCache.CachedImage?
          if let digest = row["image_sha256"] as String? {
            // An entry whose image is gone is no entry.
            guard let bytes = row["bytes"] as Data? else { return nil }
            image = ResponseCache.CachedImage(
              mimeType: row["mime_type"], width: row["width"], height: row["height"], sha256: digest, bytes: [UInt8](bytes))
          }
          return ResponseCache.Entry(
            text: row["text"], inputTokens: row["input_tokens"], outputTokens: row["output_tokens"],
            nodeType: row["node_type"], image: image)
        }
      }
    } ?? nil
  }

  public func save(_ key: CacheKey, _ entry: ResponseCache.Entry) {
    let now = Int(Date().timeIntervalSince1970 * 1000)
    _ = attempt("write") {
      // Writes are serialized, so the count is read and updated inside the transaction.
      try pool.write { db in
        let believed = entryCount.withLock { $0 }
        let existed = try Int.fetchOne(db, sql: "SELECT 1 FROM cache_entries WHERE key = ?", arguments: [key.hex]) != nil
        if let image = entry.image {
          // Stored once by digest, however many entries name it.
          try db.execute(
            sql: "INSERT OR IGNORE INTO cache_images (sha256, mime_type, width, height, bytes) VALUES (?, ?, ?, ?, ?)",
            arguments: [image.sha256, image.mimeType, image.width, image.height, Data(image.bytes)])
        }
        try db.execute(
          sql: """
            INSERT OR REPLACE INTO cache_entries (key, node_type, text, input_tokens, output_tokens, used_at, image_sha256)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            key.hex, entry.nodeType, entry.text, entry.inputTokens, entry.outputTokens, now, entry.image?.sha256,
          ])
        let count = believed + (existed ? 0 : 1)
        guard count > maxEntries else {
          entryCount.withLock { $0 = count }
          return
        }
        // The oldest entries go, found through the used_at index (no scan of the table).
        try db.execute(
          sql: """
            DELETE FROM cache_entries WHERE key IN (
              SELECT key FROM cache_entries ORDER BY used_at, rowid LIMIT ?)
            """,
          arguments: [count - maxEntries])
        entryCount.withLock { $0 = max(0, count - db.changesCount) }
        try Self.deleteOrphanImages(db)
      }
    }
  }

  public func remove(nodeType: String?) -> Int {
    attempt("write") {
      try pool.write { db in
        if let nodeType {
          try db.execute(sql: "DELETE FROM cache_entries WHERE node_type = ?", arguments: [nodeType])
        } else {
          try db.execute(sql: "DELETE FROM cache_entries")
        }
        let removed = db.changesCount
        try Self.deleteOrphanImages(db)
        let remaining = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cache_entries") ?? 0
        entryCount.withLock { $0 = remaining }
        return removed
      }
    } ?? 0
  }

  /// Images no entry names any more.
  static func deleteOrphanImages(_ db: Database) throws {
    try db.execute(
      sql: """
        DELETE FROM cache_images WHERE sha256 NOT IN (
          SELECT image_sha256 FROM cache_entries WHERE image_sha256 IS NOT NULL)
        """)
  }

  /// How many images the file holds (each once).
  public var imageCount: Int {
    attempt("read") { try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cache_images") ?? 0 } } ?? 0
  }

  public var count: Int {
    attempt("read") { try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cache_entries") ?? 0 } }
      ?? 0
  }

  /// Runs `body` unless the store is off; the first failure turns it off with one warning.
  private func attempt<Value>(_ what: String, _ body: () throws -> Value) -> Value? {
    guard !broken.withLock({ $0 }) else { return nil }
    do {
      return try body()
    } catch {
      let first = broken.withLock { wasBroken -> Bool in
        defer { wasBroken = true }
        return !wasBroken
      }
      if first {
        logger.warning(
          "The cache file \(location) failed to \(what) (\(error)); the cache lives in memory only from now on.")
      }
      return nil
    }
  }
}
