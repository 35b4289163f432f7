import FlowExecution
import Foundation
import GRDB

/// The journal's tables and the statements that write them.
///
/// `journal_runs` has one row per run: its id, flow, state, node counts, times and the process
/// that ran it. `journal_events` holds the run's notification bodies, exactly as sent, one row
/// per batch the engine handed over: bodies `first_seq...last_seq`, each ending in `\n`.
enum JournalSchema {
  static let create = """
    CREATE TABLE IF NOT EXISTS journal_runs (
      id INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL UNIQUE,
      flow_id TEXT NOT NULL,
      state TEXT NOT NULL,
      total INTEGER NOT NULL,
      done INTEGER NOT NULL,
      duration_ms INTEGER,
      started_at INTEGER NOT NULL,
      ended_at INTEGER,
      last_seq INTEGER NOT NULL,
      pid INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS journal_runs_ended_at ON journal_runs (ended_at);
    CREATE TABLE IF NOT EXISTS journal_events (
      run INTEGER NOT NULL,
      first_seq INTEGER NOT NULL,
      last_seq INTEGER NOT NULL,
      bodies BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS journal_events_run ON journal_events (run, first_seq);
    """

  /// Adds what later versions added to an older file's tables.
  static func migrate(_ db: Database) throws {
    let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(journal_runs)").map { $0["name"] as String }
    if !columns.contains("quota_key") { try db.execute(sql: "ALTER TABLE journal_runs ADD COLUMN quota_key TEXT") }
  }

  /// Whether a process with this id is alive on this machine.
  static func isAlive(_ pid: Int64) -> Bool {
    guard let pid = Int32(exactly: pid), pid > 0 else { return false }
    return kill(pid, 0) == 0 || errno == EPERM
  }

  /// Marks as failed the runs left running by an engine that is gone (killed, or the machine
  /// stopped): their journal ends where the engine stopped writing.
  static func closeOrphans(_ db: Database, now: Int64) throws {
    let rows = try Row.fetchAll(db, sql: "SELECT id, pid, started_at FROM journal_runs WHERE ended_at IS NULL")
    let ownPID = Int64(getpid())
    for row in rows {
      let pid: Int64 = row["pid"]
      guard pid == ownPID || !isAlive(pid) else { continue }
      let startedAt: Int64 = row["started_at"]
      try db.execute(
        sql: "UPDATE journal_runs SET state = 'failed', ended_at = ?, duration_ms = ? WHERE id = ?",
        arguments: [now, max(0, now - startedAt), row["id"] as Int64])
    }
  }

  /// Writes merged batches in the caller's transaction; returns the row ids of the runs still
  /// open afterwards.
  static func write(
    _ batches: [JournalBatch], rowIDs: [String: Int64], quotaKeys: [String: String] = [:], processID: Int64,
    maxRuns: Int, _ db: Database
  ) throws -> [String: Int64] {
    var rowIDs = rowIDs
    var anyEnded = false
    for batch in batches {
      if let start = batch.start {
        try forget(runID: batch.runID, db)
        try db.execute(
          sql: """
            INSERT INTO journal_runs (run_id, flow_id, state, total, done, started_at, last_seq, pid, quota_key)
            VALUES (?, ?, 'running', ?, 0, ?, 0, ?, ?)
            """,
          arguments: [batch.runID, start.flowID, start.total, start.startedAt, processID, quotaKeys[batch.runID]])
        rowIDs[batch.runID] = db.lastInsertedRowID
      }
      // A run not journaled from its start (the journal opened while it ran) is left out.
      guard let rowID = rowIDs[batch.runID] else { continue }
      let insert = try db.cachedStatement(
        sql: "INSERT INTO journal_events (run, first_seq, last_seq, bodies) VALUES (?, ?, ?, ?)")
      for row in batch.rows {
        try insert.execute(arguments: [rowID, row.firstSeq, row.lastSeq, row.bodies])
      }
      // Every node has ended once the run has (completed, failed, skipped or cancelled).
      if let end = batch.end {
        try db.execute(
          sql: """
            UPDATE journal_runs SET state = ?, done = total, duration_ms = ?, ended_at = ?, last_seq = ?
            WHERE id = ?
            """,
          arguments: [end.state.rawValue, end.durationMS, end.endedAt, batch.lastSeq, rowID])
        rowIDs[batch.runID] = nil
        anyEnded = true
      } else {
        try db.cachedStatement(sql: "UPDATE journal_runs SET done = COALESCE(?, done), last_seq = ? WHERE id = ?")
          .execute(arguments: [batch.done, batch.lastSeq, rowID])
      }
    }
    if anyEnded { try prune(keeping: maxRuns, db) }
    return rowIDs
  }

  /// Deletes a run and its notifications.
  static func forget(runID: String, _ db: Database) throws {
    guard let rowID = try Int64.fetchOne(db, sql: "SELECT id FROM journal_runs WHERE run_id = ?", arguments: [runID])
    else { return }
    try forget(rowID: rowID, db)
  }

  private static func forget(rowID: Int64, _ db: Database) throws {
    try db.execute(sql: "DELETE FROM journal_events WHERE run = ?", arguments: [rowID])
    try db.execute(sql: "DELETE FROM journal_runs WHERE id = ?", arguments: [rowID])
  }

  /// Deletes the oldest ended runs past `maxRuns` ended runs.
  private static func prune(keeping maxRuns: Int, _ db: Database) throws {
    let ended = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM journal_runs WHERE ended_at IS NOT NULL") ?? 0
    guard ended > maxRuns else { return }
    let victims = try Int64.fetchAll(
      db, sql: "SELECT id FROM journal_runs WHERE ended_at IS NOT NULL ORDER BY ended_at, id LIMIT ?",
      arguments: [ended - maxRuns])
    for rowID in victims { try forget(rowID: rowID, db) }
  }
}
