import FlowExecution
import Foundation
import GRDB
import Logging
import Signals

/// Every run's notifications, exactly as sent, and each run's final state, in a SQLite file
/// (`journal.path`), so `execution.list` and `execution.events` answer across engine restarts.
///
/// Appends never wait for the disk: ``append(_:)`` queues the batch, and one writer drains the
/// queue, each pass one transaction holding everything queued meanwhile (consecutive batches of
/// a run become one row). Readers call ``flush()`` first, so they see everything handed over
/// before. The oldest ended runs past `maxRuns` are pruned as runs end.
///
/// Faults never reach a run: a file that cannot be opened makes ``open(path:maxRuns:logger:)``
/// return `nil` after one warning; a write that fails later (a full disk, the file taken away)
/// logs one warning and turns the journal off for the rest of the process.
public final class RunJournal: Sendable {
  /// Runs kept when `max_runs` is not set.
  public static let defaultMaxRuns = 1000

  /// The file.
  public let location: String
  let pool: DatabasePool
  private let maxRuns: Int
  private let logger: Logger
  /// This process, as the journal's rows name their engine.
  let processID = Int64(getpid())
  private let writer = Locked(WriterState())

  private struct WriterState {
    var pending: [JournalBatch] = []
    var draining = false
    var broken = false
    /// Flushes waiting for the queue to empty.
    var flushes: [Latch<Void>] = []
    /// Row ids of the runs journaled and not yet ended.
    var rowIDs: [String: Int64] = [:]
    /// A read has failed (and said so).
    var readFailed = false
    /// Passes have been written since the last checkpoint.
    var unCheckpointed = false
    /// Quota keys of runs whose row is not written yet.
    var quotaKeys: [String: String] = [:]
  }

  private init(path: String, pool: DatabasePool, maxRuns: Int, logger: Logger) {
    self.location = path
    self.pool = pool
    self.maxRuns = maxRuns
    self.logger = logger
  }

  /// Opens (or creates) the file, and marks the runs whose engine is gone without ending them
  /// as failed; `nil`, after one warning, when the file cannot be used.
  public static func open(path: String, maxRuns: Int = defaultMaxRuns, logger: Logger) -> RunJournal? {
    do {
      var configuration = Configuration()
      configuration.busyMode = .timeout(2)
      configuration.prepareDatabase { db in
        // A crash loses nothing committed; only a power cut may lose the last transactions.
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
        // The WAL is copied into the file when the writer is idle (or past 64 MiB), not in
        // the middle of a busy run.
        try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
      }
      let pool = try DatabasePool(path: path, configuration: configuration)
      try pool.write { db in
        try db.execute(sql: JournalSchema.create)
        try JournalSchema.migrate(db)
        try JournalSchema.closeOrphans(db, now: RunJournal.now())
      }
      return RunJournal(path: path, pool: pool, maxRuns: max(maxRuns, 1), logger: logger)
    } catch {
      logger.warning("The journal file \(path) cannot be used (\(error)); runs are remembered in memory only.")
      return nil
    }
  }

  /// Milliseconds since 1970.
  public static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

  /// Whether the journal still writes (no write has failed).
  public var isWorking: Bool { writer.withLock { !$0.broken } }

  /// Queues a batch; returns at once.
  public func append(_ batch: JournalBatch) {
    let startWriter = writer.withLock { state -> Bool in
      guard !state.broken else { return false }
      state.pending.append(batch)
      guard !state.draining else { return false }
      state.draining = true
      return true
    }
    if startWriter { Task { await drain() } }
  }

  /// Records the quota key of a run about to start, for its row.
  public func noteQuotaKey(_ key: String, for runID: String) {
    writer.withLock { $0.quotaKeys[runID] = key }
  }

  /// Suspends until every batch handed over before has been written (or dropped by a fault).
  public func flush() async {
    let latch = writer.withLock { state -> Latch<Void>? in
      guard state.draining else { return nil }
      let latch = Latch<Void>()
      state.flushes.append(latch)
      return latch
    }
    await latch?.wait()
  }

  /// ``flush()`` waiting `timeout` at most (a stuck disk must not hold the process's exit);
  /// `false` when the time ran out.
  public func flush(timeout: Duration) async -> Bool {
    let latch = Latch<Void>()
    Task {
      await flush()
      latch.set(())
    }
    return await latch.wait(timeout: timeout) != nil
  }

  /// How long the writer lets batches gather before a pass: each transaction rewrites the
  /// run's row and index pages, so a pass per batch would write many times the notifications'
  /// own bytes.
  static let gathering = Duration.milliseconds(10)

  /// Writes what is queued, pass after pass, until the queue is empty.
  private func drain() async {
    while true {
      try? await Task.sleep(for: Self.gathering)
      let next = writer.withLock { state -> ([JournalBatch], [String: Int64], [String: String])? in
        guard !state.pending.isEmpty, !state.broken else {
          state.draining = false
          state.pending = []
          for latch in state.flushes { latch.set(()) }
          state.flushes = []
          return nil
        }
        state.unCheckpointed = true
        defer { state.pending = [] }
        // The keys of the runs starting in this pass go with them.
        var keys: [String: String] = [:]
        for batch in state.pending where batch.start != nil {
          if let key = state.quotaKeys.removeValue(forKey: batch.runID) { keys[batch.runID] = key }
        }
        return (state.pending, state.rowIDs, keys)
      }
      guard let (batches, rowIDs, quotaKeys) = next else {
        await checkpointIfIdle()
        return
      }
      let merged = Self.merge(batches)
      do {
        let updated = try await pool.write { [maxRuns, processID] db in
          try JournalSchema.write(
            merged, rowIDs: rowIDs, quotaKeys: quotaKeys, processID: processID, maxRuns: maxRuns, db)
        }
        writer.withLock { $0.rowIDs = updated }
      } catch {
        writer.withLock { $0.broken = true }
        logger.warning(
          "The journal file \(location) failed to write (\(error)); runs are remembered in memory only from now on.")
      }
    }
  }

  /// Runs a read; a failure is one warning (the first) and no answer.
  func reading<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async -> T? {
    do {
      return try await pool.read(body)
    } catch {
      let first = writer.withLock { state -> Bool in
        defer { state.readFailed = true }
        return !state.readFailed
      }
      if first { logger.warning("The journal file \(location) failed to read (\(error)); answering from memory.") }
      return nil
    }
  }

  /// Copies the WAL into the file once the writer has nothing to do (a passive checkpoint:
  /// it never waits for readers).
  private func checkpointIfIdle() async {
    let due = writer.withLock { state -> Bool in
      defer { state.unCheckpointed = false }
      return state.unCheckpointed && !state.draining && !state.broken
    }
    guard due else { return }
    try? await pool.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
  }

  /// One batch per run, in the order runs first appear, each run's batches in order.
  static func merge(_ batches: [JournalBatch]) -> [JournalBatch] {
    var merged: [JournalBatch] = []
    var position: [String: Int] = [:]
    for batch in batches {
      if let index = position[batch.runID], merged[index].end == nil, batch.start == nil {
        merged[index].append(batch)
      } else {
        position[batch.runID] = merged.count
        merged.append(batch)
      }
    }
    return merged
  }

  /// SQLite's own check of a journal file (`PRAGMA integrity_check`): `["ok"]` for a sound file.
  public static func integrityCheck(path: String) throws -> [String] {
    let queue = try DatabaseQueue(path: path)
    return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
  }
}
