/// Where the cache keeps its entries beyond the process (a SQLite file): written through on
/// every store, read on a memory miss. An implementation handles its own faults: a store that
/// cannot read or write logs why once and from then on behaves as empty, so a broken file
/// never stops a run.
public protocol PersistentCacheStore: Sendable {
  /// Where the entries live, for `cache.stats`.
  var location: String { get }
  /// The entry stored under `key`, if any.
  func load(_ key: CacheKey) -> ResponseCache.Entry?
  /// Stores (or replaces) an entry, keeping at most the store's entry limit.
  func save(_ key: CacheKey, _ entry: ResponseCache.Entry)
  /// Removes every entry, or those of one node type; returns how many.
  func remove(nodeType: String?) -> Int
  /// How many entries the store holds.
  var count: Int { get }
}

/// Where several engine processes share the cache (PostgreSQL): read after a local miss,
/// written through after a call. An implementation handles its own faults and outages: an
/// operation that fails or takes too long answers as if the store were empty, with one warning
/// per outage, so an unreachable store only costs the local cache's misses.
public protocol SharedCacheStore: Sendable {
  /// Where the entries live, without any password, for `cache.stats`.
  var location: String { get }
  /// The entry stored under `key`, if any (and the store answers).
  func load(_ key: CacheKey) async -> ResponseCache.Entry?
  /// Stores (or replaces) an entry.
  func save(_ key: CacheKey, _ entry: ResponseCache.Entry) async
  /// Removes every entry, or those of one node type; returns how many.
  func remove(nodeType: String?) async -> Int
  /// How many entries the store holds, if it answers.
  func count() async -> Int?
}
