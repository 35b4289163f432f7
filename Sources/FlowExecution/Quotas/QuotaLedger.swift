/// Where quota counters live: in the process (``LocalQuotaLedger``) or shared by engine
/// processes. Every operation is atomic per key.
public protocol QuotaLedger: Sendable {
  /// Counts a new live run of `key`, unless it already has `max`.
  func acquireRun(_ key: String, max: Int) async throws(QuotaDenial)
  /// A live run of `key` ended.
  func releaseRun(_ key: String) async
  /// Counts a provider call of `key` if fewer than `perMinute` were made in the last 60 s;
  /// otherwise how long until the oldest of them leaves the window.
  func takeCallSlot(_ key: String, perMinute: Int) async -> Duration?
  /// Counts `tokens` (an estimate) against `key`'s day, unless that would pass `perDay`.
  func reserveTokens(_ key: String, _ tokens: Int, perDay: Int) async throws(QuotaDenial)
  /// Corrects `key`'s day by `delta` tokens (what a call used, less what was reserved).
  func adjustTokens(_ key: String, by delta: Int) async
  /// `key`'s counters now.
  func usage(_ key: String) async -> QuotaUsage
}

extension QuotaLedger {
  /// Milliseconds until the next UTC midnight, when `tokens_per_day` starts again.
  static func millisecondsToNextDay(now: Double) -> Int {
    let day = 86_400.0
    return Int(((now / day).rounded(.down) + 1) * day * 1000 - now * 1000)
  }
}
