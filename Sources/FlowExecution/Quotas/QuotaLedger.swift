/// What a quota says to a provider call: go, wait this long and ask again, or no.
public enum CallAdmission: Sendable, Hashable {
  /// Counted: the call goes.
  case admitted
  /// The calls-per-minute window is full: ask again after this long.
  case wait(Duration)
  /// The call would pass a limit that waiting does not free (`tokens_per_day`).
  case refused(QuotaDenial)
}

/// Where quota counters live: in the process (``LocalQuotaLedger``) or shared by engine
/// processes through PostgreSQL. Every operation is atomic per key; a call's admission is one
/// operation (one round trip to a shared store).
public protocol QuotaLedger: Sendable {
  /// Counts a new live run of `key` unless it already has `max`; returns the run's ticket.
  func acquireRun(_ key: String, max: Int) async throws(QuotaDenial) -> String
  /// A live run of `key` ended.
  func releaseRun(_ key: String, ticket: String) async
  /// Admits a provider call of `key` expected to use `tokens`: refused when that would pass
  /// `perDay` tokens today (UTC), told to wait when `perMinute` calls were made in the last
  /// 60 s, else counted (the call and the tokens).
  func admitCall(_ key: String, tokens: Int, perDay: Int?, perMinute: Int?) async -> CallAdmission
  /// Corrects `key`'s day by `delta` tokens (what a call used, less what was reserved).
  func adjustTokens(_ key: String, by delta: Int) async
  /// `key`'s counters now.
  func usage(_ key: String) async -> QuotaUsage
}

extension QuotaDenial {
  /// Milliseconds until the next UTC midnight, when `tokens_per_day` starts again.
  public static func millisecondsToNextDay(now: Double) -> Int {
    let day = 86_400.0
    return Int(((now / day).rounded(.down) + 1) * day * 1000 - now * 1000)
  }
}
