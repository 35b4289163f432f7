import FlowExecution
import Foundation
import GRDB

extension RunJournal {
  /// The journal's runs, except `excluded` (those the engine holds itself): runs still going
  /// in other engines first, then ended runs, most recently ended first; those in `wanted` only
  /// when it is given, at most `limit`. A run whose engine is gone without ending it is failed.
  public func runs(state wanted: RunState?, quotaKey: String? = nil, limit: Int, excluding excluded: Set<String>) async
    -> [RunSummary]
  {
    await flush()
    let now = Self.now()
    return await reading { [processID] db in
      var summaries: [RunSummary] = []
      let rows = try Row.fetchCursor(
        db,
        sql: """
          SELECT run_id, flow_id, state, total, done, duration_ms, started_at, ended_at, pid, quota_key FROM journal_runs
          ORDER BY ended_at IS NOT NULL, ended_at DESC, id DESC
          """)
      while summaries.count < limit, let row = try rows.next() {
        let runID: String = row["run_id"]
        guard !excluded.contains(runID) else { continue }
        let startedAt: Int64 = row["started_at"]
        var state = RunState(rawValue: row["state"]) ?? .failed
        var duration: Int64 = row["duration_ms"] ?? max(0, now - startedAt)
        if row["ended_at"] as Int64? == nil {
          let pid: Int64 = row["pid"]
          if pid == processID || !JournalSchema.isAlive(pid) {
            state = .failed
            duration = max(0, now - startedAt)
          }
        }
        let key: String? = row["quota_key"]
        guard wanted == nil || wanted == state, quotaKey == nil || quotaKey == key else { continue }
        summaries.append(
          RunSummary(
            runID: runID, flowID: row["flow_id"], state: state, total: row["total"], done: row["done"],
            durationMS: Int(duration), quotaKey: key))
      }
      return summaries
    } ?? []
  }

  /// A journaled run's notifications with `seq` above `afterSeq`, at most `limit`; `nil` for a
  /// run the journal does not hold.
  public func events(runID: String, afterSeq: Int, limit: Int) async -> JournalEventPage? {
    await flush()
    return await reading { [processID] db -> JournalEventPage? in
      guard
        let run = try Row.fetchOne(
          db, sql: "SELECT id, ended_at, pid FROM journal_runs WHERE run_id = ?", arguments: [runID])
      else { return nil }
      let pid: Int64 = run["pid"]
      let ended = run["ended_at"] as Int64? != nil || pid == processID || !JournalSchema.isAlive(pid)
      var bodies: [ArraySlice<UInt8>] = []
      let rows = try Row.fetchCursor(
        db, sql: "SELECT first_seq, bodies FROM journal_events WHERE run = ? AND last_seq > ? ORDER BY first_seq",
        arguments: [run["id"] as Int64, afterSeq])
      while bodies.count < limit, let row = try rows.next() {
        var seq: Int = row["first_seq"]
        let blob = [UInt8](row["bodies"] as Data? ?? Data())
        // Each body ends in a newline; none holds one (JSON text escapes its control characters).
        for line in blob.split(separator: UInt8(ascii: "\n")) {
          defer { seq += 1 }
          guard seq > afterSeq, bodies.count < limit else { continue }
          bodies.append(line)
        }
      }
      return JournalEventPage(bodies: bodies, ended: ended)
    } ?? nil
  }

  /// Whether the journal holds a run with this id.
  public func contains(_ runID: String) async -> Bool {
    await reading { db in
      try Int.fetchOne(db, sql: "SELECT 1 FROM journal_runs WHERE run_id = ?", arguments: [runID]) != nil
    } ?? false
  }
}
