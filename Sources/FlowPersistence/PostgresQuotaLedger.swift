import FlowExecution
import Foundation
import PostgresNIO
import Signals

/// Quota counters shared by every engine process on one PostgreSQL database: live runs (each
/// held under a lease this engine renews, so the runs of an engine that died free up within
/// 30 s), the calls of the last 60 seconds, and each UTC day's tokens. Each operation is one
/// call of a PL/pgSQL function that takes a per-key advisory lock, so engines never overshoot a
/// limit together; admitting a provider call is one round trip, and settling its tokens happens
/// off the call's path.
///
/// When the database cannot be reached the ledger fails open (the request goes through, one
/// warning per outage) or closed (it is refused), as `quotas.on_store_error` says.
public final class PostgresQuotaLedger: QuotaLedger {
  private let database: PostgresSharedState
  private let failsOpen: Bool
  /// This engine, as the lease rows name it.
  private let engine = UUID().uuidString
  private let schema = SchemaOnce()
  private let heartbeat = Locked<Task<Void, Never>?>(nil)

  /// A ledger on `database`; `failsOpen` decides what an unreachable database means.
  public init(database: PostgresSharedState, failsOpen: Bool) {
    self.database = database
    self.failsOpen = failsOpen
  }

  /// Stops renewing this engine's leases (its live runs then free up within 30 s).
  public func close() {
    heartbeat.withLock { $0?.cancel() }
  }

  public func acquireRun(_ key: String, max: Int) async throws(QuotaDenial) -> String {
    let ticket = UUID().uuidString
    guard await ensureSchema() else {
      if failsOpen { return ticket }
      throw QuotaDenial(limit: "max_live_runs", max: max, retryAfterMilliseconds: 1000)
    }
    startHeartbeat()
    let engine = self.engine
    let admitted = await database.perform("count a live run") { client -> Bool in
      let rows = try await client.query("SELECT flowrunner_acquire_run(\(key), \(ticket), \(engine), \(max))")
      for try await (admitted) in rows.decode(Bool.self) { return admitted }
      return false
    }
    switch admitted {
    case true?: return ticket
    case false?: throw QuotaDenial(limit: "max_live_runs", max: max)
    case nil:
      if failsOpen { return ticket }
      throw QuotaDenial(limit: "max_live_runs", max: max, retryAfterMilliseconds: 1000)
    }
  }

  public func releaseRun(_ key: String, ticket: String) async {
    _ = await database.perform("release a live run") { client in
      try await client.query("DELETE FROM flowrunner_quota_runs WHERE ticket = \(ticket)")
    }
  }

  public func admitCall(_ key: String, tokens: Int, perDay: Int?, perMinute: Int?) async -> CallAdmission {
    guard await ensureSchema() else { return unreachable(perDay: perDay, perMinute: perMinute) }
    let answer = await database.perform("admit a provider call") { client -> Int64 in
      let rows = try await client.query(
        "SELECT flowrunner_admit_call(\(key), \(Int64(tokens)), \(perDay.map(Int64.init)), \(perMinute))")
      for try await (code) in rows.decode(Int64.self) { return code }
      return 0
    }
    guard let answer else { return unreachable(perDay: perDay, perMinute: perMinute) }
    switch answer {
    case 0: return .admitted
    case -1:
      return .refused(
        QuotaDenial(
          limit: "tokens_per_day", max: perDay ?? 0,
          retryAfterMilliseconds: QuotaDenial.millisecondsToNextDay(now: Date().timeIntervalSince1970)))
    default: return .wait(.milliseconds(answer))
    }
  }

  public func adjustTokens(_ key: String, by delta: Int) async {
    guard delta != 0 else { return }
    // Off the call's path: the node does not wait for its tokens to be settled.
    Task {
      _ = await database.perform("settle tokens") { client in
        try await client.query(
          """
          UPDATE flowrunner_quota_tokens SET tokens = greatest(0, tokens + \(Int64(delta)))
          WHERE key = \(key) AND day = (now() AT TIME ZONE 'UTC')::date
          """)
      }
    }
  }

  public func usage(_ key: String) async -> QuotaUsage {
    guard await ensureSchema() else { return QuotaUsage() }
    return await database.perform("read the counters") { client -> QuotaUsage in
      let rows = try await client.query(
        """
        SELECT
          (SELECT count(*) FROM flowrunner_quota_runs WHERE key = \(key) AND lease_until > now()),
          (SELECT count(*) FROM flowrunner_quota_calls WHERE key = \(key) AND at > clock_timestamp() - interval '60 seconds'),
          (SELECT coalesce(sum(tokens), 0)::bigint FROM flowrunner_quota_tokens
             WHERE key = \(key) AND day = (now() AT TIME ZONE 'UTC')::date)
        """)
      for try await (runs, calls, tokens) in rows.decode((Int64, Int64, Int64).self) {
        return QuotaUsage(liveRuns: Int(runs), callsLastMinute: Int(calls), tokensToday: Int(tokens))
      }
      return QuotaUsage()
    } ?? QuotaUsage()
  }

  /// What an unreachable database means for a call: through (open), or a one-second wait
  /// (closed, for a rate limit) or a refusal (closed, for tokens).
  private func unreachable(perDay: Int?, perMinute: Int?) -> CallAdmission {
    if failsOpen { return .admitted }
    if let perDay { return .refused(QuotaDenial(limit: "tokens_per_day", max: perDay, retryAfterMilliseconds: 1000)) }
    return perMinute == nil ? .admitted : .wait(.seconds(1))
  }

  /// Renews this engine's leases every 10 s while it lives.
  private func startHeartbeat() {
    heartbeat.withLock { task in
      guard task == nil else { return }
      let engine = self.engine
      let database = self.database
      task = Task {
        while !Task.isCancelled {
          try? await Task.sleep(for: .seconds(10))
          _ = await database.perform("renew leases") { client in
            try await client.query(
              "UPDATE flowrunner_quota_runs SET lease_until = now() + interval '30 seconds' WHERE engine = \(engine)")
          }
        }
      }
    }
  }

  private func ensureSchema() async -> Bool {
    let database = self.database
    return await schema.ensure {
      let logger = database.logger
      let created = await database.perform("create its quota tables") { client in
        try await client.withTransaction(logger: logger) { connection in
          // One engine at a time: concurrent CREATE OR REPLACE FUNCTION collide on the catalog.
          try await connection.query("SELECT pg_advisory_xact_lock(hashtext('flowrunner-schema'))", logger: logger)
          for statement in QuotaSchema.statements {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
          }
        }
      }
      return created != nil
    }
  }
}

/// The quota tables and functions, created on first use.
enum QuotaSchema {
  static let statements = [
    """
    CREATE TABLE IF NOT EXISTS flowrunner_quota_runs (
      ticket TEXT PRIMARY KEY, key TEXT NOT NULL, engine TEXT NOT NULL, lease_until TIMESTAMPTZ NOT NULL)
    """,
    "CREATE INDEX IF NOT EXISTS flowrunner_quota_runs_key ON flowrunner_quota_runs (key, lease_until)",
    "CREATE TABLE IF NOT EXISTS flowrunner_quota_calls (key TEXT NOT NULL, at TIMESTAMPTZ NOT NULL)",
    "CREATE INDEX IF NOT EXISTS flowrunner_quota_calls_key ON flowrunner_quota_calls (key, at)",
    """
    CREATE TABLE IF NOT EXISTS flowrunner_quota_tokens (
      key TEXT NOT NULL, day DATE NOT NULL, tokens BIGINT NOT NULL, PRIMARY KEY (key, day))
    """,
    """
    CREATE OR REPLACE FUNCTION flowrunner_acquire_run(p_key TEXT, p_ticket TEXT, p_engine TEXT, p_max BIGINT)
    RETURNS BOOLEAN AS $$
    DECLARE live BIGINT;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('flowrunner-runs:' || p_key));
      SELECT count(*) INTO live FROM flowrunner_quota_runs WHERE key = p_key AND lease_until > now();
      IF live >= p_max THEN RETURN FALSE; END IF;
      INSERT INTO flowrunner_quota_runs VALUES (p_ticket, p_key, p_engine, now() + interval '30 seconds');
      RETURN TRUE;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION flowrunner_admit_call(p_key TEXT, p_tokens BIGINT, p_per_day BIGINT, p_per_minute BIGINT)
    RETURNS BIGINT AS $$
    DECLARE used BIGINT; calls BIGINT; oldest TIMESTAMPTZ; today DATE := (now() AT TIME ZONE 'UTC')::date;
    BEGIN
      PERFORM pg_advisory_xact_lock(hashtext('flowrunner-calls:' || p_key));
      IF p_per_day IS NOT NULL THEN
        SELECT tokens INTO used FROM flowrunner_quota_tokens WHERE key = p_key AND day = today;
        used := coalesce(used, 0);
        IF used >= p_per_day OR used + p_tokens > p_per_day THEN RETURN -1; END IF;
      END IF;
      IF p_per_minute IS NOT NULL THEN
        DELETE FROM flowrunner_quota_calls WHERE key = p_key AND at <= clock_timestamp() - interval '60 seconds';
        SELECT count(*), min(at) INTO calls, oldest FROM flowrunner_quota_calls WHERE key = p_key;
        IF calls >= p_per_minute THEN
          RETURN greatest(1, ceil(extract(epoch FROM (oldest + interval '60 seconds' - clock_timestamp())) * 1000))::BIGINT;
        END IF;
        INSERT INTO flowrunner_quota_calls VALUES (p_key, clock_timestamp());
      END IF;
      IF p_per_day IS NOT NULL THEN
        INSERT INTO flowrunner_quota_tokens VALUES (p_key, today, p_tokens)
        ON CONFLICT (key, day) DO UPDATE SET tokens = flowrunner_quota_tokens.tokens + p_tokens;
      END IF;
      RETURN 0;
    END $$ LANGUAGE plpgsql
    """,
  ]
}
