import FlowProviders
import Signals

/// Provider replies kept by ``CacheKey``: in memory, least recently used first out past
/// `maxEntries` or `maxBytes`. Only successful replies are stored. Identical calls in flight at
/// the same moment (same key, in one run or many) share one provider call: the first caller
/// starts it, later ones wait for its reply; a waiter that is cancelled stops waiting at once,
/// and the call itself is cancelled only when no one waits for it any more.
public final class ResponseCache: Sendable {
  /// A stored reply.
  public struct Entry: Sendable {
    /// The reply text.
    public var text: String
    /// Token counts as the provider reported them.
    public var inputTokens: Int?
    public var outputTokens: Int?

    /// An entry.
    public init(
      text: String, inputTokens: Int? = nil, outputTokens: Int? = nil, nodeType: String, image: CachedImage? = nil
    ) {
      self.image = image
      self.text = text
      self.inputTokens = inputTokens
      self.outputTokens = outputTokens
      self.nodeType = nodeType
    }
    /// The node type that produced it (for `cache.clear {node_type}`).
    public var nodeType: String
    /// A generated image (for `imageGenerator`; `text` is then empty). Stores keep images by
    /// their digest, once, however many entries name them.
    public var image: CachedImage?
    var bytes: Int { text.utf8.count + nodeType.utf8.count + (image?.bytes.count ?? 0) + 160 }
  }

  /// An image in a cache entry.
  public struct CachedImage: Sendable, Hashable {
    /// Its MIME type.
    public var mimeType: String
    /// Pixel width.
    public var width: Int
    /// Pixel height.
    public var height: Int
    /// 64 hex digits of the SHA-256 of `bytes`.
    public var sha256: String
    /// The encoded image.
    public var bytes: [UInt8]

    /// An image.
    public init(mimeType: String, width: Int, height: Int, sha256: String, bytes: [UInt8]) {
      self.mimeType = mimeType
      self.width = width
      self.height = height
      self.sha256 = sha256
      self.bytes = bytes
    }
  }

  /// Counters for `cache.stats`.
  public struct Stats: Sendable, Hashable {
    /// Entries kept.
    public var entries: Int
    /// Their bytes.
    public var bytes: Int
    /// Lookups that found an entry, and those that did not.
    public var hits: Int
    public var misses: Int
  }

  /// Where a reply came from.
  public enum Source: Sendable {
    /// This caller's own provider call.
    case called
    /// The store, or a call another caller had in flight: no call of this caller's own.
    case shared
  }

  /// What a waiter receives: the call's outcome (a chat reply or an image, as the key's caller
  /// asked for), and which waiter started the call.
  private struct Delivery: Sendable {
    var outcome: Result<any Sendable, ProviderError>
    var starter: Int
  }

  private typealias Waiter = CheckedContinuation<Delivery, any Error>

  private struct Flight {
    var task: Task<Void, Never>?
    var waiters: [Int: Waiter] = [:]
    /// The waiter that started the call; also tells this flight from a later one of the same key.
    var starter: Int
  }

  private struct State {
    var entries: [String: Entry] = [:]
    /// Recency: a larger tick is more recent.
    var ticks: [String: Int] = [:]
    var tick = 0
    var bytes = 0
    var hits = 0
    var misses = 0
    var flights: [String: Flight] = [:]
    var nextWaiter = 0
  }

  /// The most entries kept.
  public let maxEntries: Int
  /// The most bytes (reply texts and bookkeeping) kept in memory.
  public let maxBytes: Int
  /// Where entries outlive the process, if anywhere.
  public let persistent: (any PersistentCacheStore)?
  /// Where other engine processes share entries, if anywhere.
  public let shared: (any SharedCacheStore)?
  private let state = Locked(State())

  /// An empty cache in memory, over `persistent` and `shared` when given.
  public init(
    maxEntries: Int = 2000, maxBytes: Int = 64 << 20, persistent: (any PersistentCacheStore)? = nil,
    shared: (any SharedCacheStore)? = nil
  ) {
    self.maxEntries = maxEntries
    self.maxBytes = maxBytes
    self.persistent = persistent
    self.shared = shared
  }

  /// The stored reply for `key`, counting a hit or a miss: from memory, else from the
  /// persistent store, else from the shared store (and then kept locally too).
  public func lookup(_ key: CacheKey) async -> Entry? {
    let inMemory = state.withLock { state -> Entry? in
      guard let entry = state.entries[key.hex] else { return nil }
      state.hits += 1
      state.tick += 1
      state.ticks[key.hex] = state.tick
      return entry
    }
    if let inMemory { return inMemory }
    if let stored = persistent?.load(key) {
      state.withLock { $0.hits += 1 }
      keep(key, stored)
      return stored
    }
    if let shared, let found = await shared.load(key) {
      state.withLock { $0.hits += 1 }
      if maxEntries > 0 { persistent?.save(key, found) }
      keep(key, found)
      return found
    }
    state.withLock { $0.misses += 1 }
    return nil
  }

  /// Stores a reply (in memory and, written through, in the persistent and shared stores),
  /// evicting the least recently used entries past the limits.
  public func store(_ key: CacheKey, _ entry: Entry) async {
    guard maxEntries > 0 else { return }
    persistent?.save(key, entry)
    keep(key, entry)
    await shared?.save(key, entry)
  }

  /// Keeps an entry in memory.
  private func keep(_ key: CacheKey, _ entry: Entry) {
    guard entry.bytes <= maxBytes else { return }
    state.withLock { state in
      if let old = state.entries[key.hex] { state.bytes -= old.bytes }
      state.entries[key.hex] = entry
      state.bytes += entry.bytes
      state.tick += 1
      state.ticks[key.hex] = state.tick
      while state.entries.count > maxEntries || state.bytes > maxBytes {
        guard let oldest = state.ticks.min(by: { $0.value < $1.value })?.key else { break }
        state.ticks[oldest] = nil
        if let evicted = state.entries.removeValue(forKey: oldest) { state.bytes -= evicted.bytes }
      }
    }
  }

  /// Removes every entry, or those of one node type; returns how many (those of the
  /// persistent store when there is one, which holds every entry the memory holds).
  public func clear(nodeType: String? = nil) async -> Int {
    let inMemory = state.withLock { state in
      let keys = state.entries.filter { nodeType == nil || $0.value.nodeType == nodeType }.map(\.key)
      for key in keys {
        if let entry = state.entries.removeValue(forKey: key) { state.bytes -= entry.bytes }
        state.ticks[key] = nil
      }
      return keys.count
    }
    let persisted = persistent?.remove(nodeType: nodeType) ?? 0
    let sharedRemoved = await shared?.remove(nodeType: nodeType) ?? 0
    return max(inMemory, persisted, sharedRemoved)
  }

  /// How many callers wait on the call in flight for `key` (0 when none is).
  public func waitingCount(for key: CacheKey) -> Int {
    state.withLock { $0.flights[key.hex]?.waiters.count ?? 0 }
  }

  /// The counters: `entries` counts the largest store's entries (the persistent or shared
  /// one, when there is one, holds every entry the memory holds).
  public func stats() async -> Stats {
    let persisted = persistent?.count ?? 0
    let sharedCount = await shared?.count() ?? 0
    return state.withLock {
      Stats(
        entries: max(persisted, sharedCount, $0.entries.count), bytes: $0.bytes, hits: $0.hits, misses: $0.misses)
    }
  }

  /// Makes `call` once for all callers with the same key at the same moment and returns its
  /// reply to each, with whether this caller's own call made it. A successful reply is stored
  /// (when `stores`).
  public func shared(
    _ key: CacheKey, nodeType: String, stores: Bool,
    call: @escaping @Sendable () async throws(ProviderError) -> ChatResponse
  ) async throws -> (ChatResponse, Source) {
    try await sharedCall(key, call: call) { response in
      guard stores else { return nil }
      return Entry(
        text: response.text, inputTokens: response.inputTokens, outputTokens: response.outputTokens, nodeType: nodeType)
    }
  }

  /// ``shared(_:nodeType:stores:call:)`` for any kind of reply: `entry` turns a successful one
  /// into what is stored (`nil`: nothing).
  public func sharedCall<Value: Sendable>(
    _ key: CacheKey, call: @escaping @Sendable () async throws(ProviderError) -> Value,
    entry: @escaping @Sendable (Value) -> Entry?
  ) async throws -> (Value, Source) {
    let waiter = state.withLock { state -> Int in
      state.nextWaiter += 1
      return state.nextWaiter
    }
    let delivery = try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: Waiter) in
        let starts = state.withLock { state -> Bool in
          if state.flights[key.hex] != nil {
            state.flights[key.hex]?.waiters[waiter] = continuation
            return false
          }
          state.flights[key.hex] = Flight(waiters: [waiter: continuation], starter: waiter)
          return true
        }
        // A cancel that came before the waiter was registered found nothing to end: end it now.
        if Task.isCancelled {
          leave(key, waiter: waiter)
          return
        }
        guard starts else { return }
        let task = Task {
          let outcome: Result<any Sendable, ProviderError>
          var stored: Entry?
          do throws(ProviderError) {
            let value = try await call()
            stored = entry(value)
            outcome = .success(value)
          } catch {
            outcome = .failure(error)
          }
          await self.finish(key, starter: waiter, storing: stored, outcome)
        }
        let cancelledMeanwhile = state.withLock { state -> Bool in
          guard state.flights[key.hex]?.starter == waiter else { return true }
          state.flights[key.hex]?.task = task
          return false
        }
        if cancelledMeanwhile { task.cancel() }
      }
    } onCancel: {
      leave(key, waiter: waiter)
    }
    switch delivery.outcome {
    case .success(let reply):
      // Callers of one key ask for one kind of reply (the key covers the node type and template).
      guard let value = reply as? Value else { throw CancellationError() }
      return (value, delivery.starter == waiter ? .called : .shared)
    case .failure(let error): throw error
    }
  }

  /// Hands the outcome to every waiter and stores a success.
  private func finish(
    _ key: CacheKey, starter: Int, storing entry: Entry?, _ outcome: Result<any Sendable, ProviderError>
  ) async {
    // A call cancelled because no one waits any more is not stored, whatever it returned.
    if let entry, !Task.isCancelled, case .success = outcome {
      await store(key, entry)
    }
    let waiters = state.withLock { state -> [Waiter] in
      guard state.flights[key.hex]?.starter == starter, let flight = state.flights.removeValue(forKey: key.hex) else {
        return []
      }
      return Array(flight.waiters.values)
    }
    for waiter in waiters { waiter.resume(returning: Delivery(outcome: outcome, starter: starter)) }
  }

  /// A waiter stops waiting: its continuation ends with `CancellationError`; the last one out
  /// cancels the call.
  private func leave(_ key: CacheKey, waiter: Int) {
    let (continuation, orphaned) = state.withLock { state -> (Waiter?, Task<Void, Never>?) in
      guard let continuation = state.flights[key.hex]?.waiters.removeValue(forKey: waiter) else { return (nil, nil) }
      guard state.flights[key.hex]?.waiters.isEmpty == true else { return (continuation, nil) }
      let task = state.flights.removeValue(forKey: key.hex)?.task
      return (continuation, task)
    }
    continuation?.resume(throwing: CancellationError())
    orphaned?.cancel()
  }
}
