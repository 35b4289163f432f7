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

  public func acquireRun(_ key: String, max: Int) async throws(QuotaDenial) -> String {
    let admitted = counters.withLock { counters -> Bool in
      guard counters[key, default: Counters()].liveRuns < max else { return false }
      counters[key, default: Counters()].liveRuns += 1
      return true
    }
    guard admitted else { throw QuotaDenial(limit: "max_live_runs", max: max) }
    return key
  }

  public func releaseRun(_ key: String, ticket: String) async {
    counters.withLock { counters in
      counters[key, default: Counters()].liveRuns = Swift.max(0, counters[key, default: Counters()].liveRuns - 1)
    }
  }

  public func admitCall(_ key: String, tokens: Int, perDay: Int?, perMinute: Int?) async -> CallAdmission {
    let now = clock()
    let day = Int(now / 86_400)
    return counters.withLock { counters -> CallAdmission in
      var entry = counters[key, default: Counters()]
      defer { counters[key] = entry }
      if entry.day != day {
        entry.day = day
        entry.tokens = 0
      }
      if let perDay, entry.tokens >= perDay || entry.tokens + tokens > perDay {
        return .refused(
          QuotaDenial(
            limit: "tokens_per_day", max: perDay, retryAfterMilliseconds: QuotaDenial.millisecondsToNextDay(now: now)))
      }
      if let perMinute {
        entry.calls.removeAll { $0 <= now - 60 }
        if entry.calls.count >= perMinute, let oldest = entry.calls.first {
          return .wait(.milliseconds(Int64(Swift.max(1, (oldest + 60 - now) * 1000))))
        }
        entry.calls.append(now)
      }
      if perDay != nil { entry.tokens += tokens }
      return .admitted
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
