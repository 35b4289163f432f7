import Foundation
import Signals

/// Quota counters in this process: live runs, a 60-second sliding window of calls, and the
/// tokens of the current UTC day, per key.
public final class LocalQuotaLedger: QuotaLedger {
  private struct Counters {
    var liveRuns = 0
    /// Times of the calls in the window, oldest first (seconds since 1970).
    var calls: [Double] = []
    var day = 0
    var tokens = 0
  }

  private let counters = Locked<[String: Counters]>([:])
  private let clock: @Sendable () -> Double

  /// Counters on the wall clock (or `clock`, seconds since 1970, for tests).
  public init(clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
    self.clock = clock
  }

  public func acquireRun(_ key: String, max: Int) async throws(QuotaDenial) {
    let admitted = counters.withLock { counters -> Bool in
      guard counters[key, default: Counters()].liveRuns < max else { return false }
      counters[key, default: Counters()].liveRuns += 1
      return true
    }
    guard admitted else { throw QuotaDenial(limit: "max_live_runs", max: max) }
  }

  public func releaseRun(_ key: String) async {
    counters.withLock { counters in
      counters[key, default: Counters()].liveRuns = Swift.max(0, counters[key, default: Counters()].liveRuns - 1)
    }
  }

  public func takeCallSlot(_ key: String, perMinute: Int) async -> Duration? {
    let now = clock()
    return counters.withLock { counters -> Duration? in
      var entry = counters[key, default: Counters()]
      defer { counters[key] = entry }
      entry.calls.removeAll { $0 <= now - 60 }
      guard entry.calls.count >= perMinute, let oldest = entry.calls.first else {
        entry.calls.append(now)
        return nil
      }
      return .milliseconds(Int64(Swift.max(1, (oldest + 60 - now) * 1000)))
    }
  }

  public func reserveTokens(_ key: String, _ tokens: Int, perDay: Int) async throws(QuotaDenial) {
    let now = clock()
    let day = Int(now / 86_400)
    let admitted = counters.withLock { counters -> Bool in
      var entry = counters[key, default: Counters()]
      if entry.day != day {
        entry.day = day
        entry.tokens = 0
      }
      defer { counters[key] = entry }
      guard entry.tokens + tokens <= perDay, entry.tokens < perDay else { return false }
      entry.tokens += tokens
      return true
    }
    guard admitted else {
      throw QuotaDenial(
        limit: "tokens_per_day", max: perDay, retryAfterMilliseconds: Self.millisecondsToNextDay(now: now))
    }
  }

  public func adjustTokens(_ key: String, by delta: Int) async {
    let day = Int(clock() / 86_400)
    counters.withLock { counters in
      var entry = counters[key, default: Counters()]
      if entry.day != day {
        entry.day = day
        entry.tokens = 0
      }
      entry.tokens = Swift.max(0, entry.tokens + delta)
      counters[key] = entry
    }
  }

  public func usage(_ key: String) async -> QuotaUsage {
    let now = clock()
    let day = Int(now / 86_400)
    return counters.withLock { counters in
      let entry = counters[key, default: Counters()]
      return QuotaUsage(
        liveRuns: entry.liveRuns, callsLastMinute: entry.calls.filter { $0 > now - 60 }.count,
        tokensToday: entry.day == day ? entry.tokens : 0)
    }
  }
}
