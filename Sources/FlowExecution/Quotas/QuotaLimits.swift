/// The limits of one quota key (`quotas.keys[key]`, else `quotas.default`); a missing limit is
/// no limit.
public struct QuotaLimits: Sendable, Hashable {
  /// Runs of the key live at once.
  public var maxLiveRuns: Int?
  /// Provider calls (every HTTP attempt) in any 60 seconds.
  public var providerCallsPerMinute: Int?
  /// Tokens (input and output, as providers report them) per UTC day.
  public var tokensPerDay: Int?

  /// Limits with the given fields.
  public init(maxLiveRuns: Int? = nil, providerCallsPerMinute: Int? = nil, tokensPerDay: Int? = nil) {
    self.maxLiveRuns = maxLiveRuns
    self.providerCallsPerMinute = providerCallsPerMinute
    self.tokensPerDay = tokensPerDay
  }

  /// Whether any limit is set.
  public var limitsAnything: Bool { maxLiveRuns != nil || providerCallsPerMinute != nil || tokensPerDay != nil }
}

/// Every configured quota: per key, and the default for keys not named.
public struct QuotaSettings: Sendable, Hashable {
  /// What a failing shared counter store means: let the request through, or refuse it.
  public enum StoreErrorPolicy: String, Sendable, CaseIterable {
    case open, closed
  }

  /// Limits for keys without their own.
  public var defaultLimits: QuotaLimits?
  /// Limits by quota key.
  public var keys: [String: QuotaLimits]
  /// What happens when the shared counters cannot be reached.
  public var onStoreError: StoreErrorPolicy

  /// Settings with the given parts; none configured is no limits at all.
  public init(defaultLimits: QuotaLimits? = nil, keys: [String: QuotaLimits] = [:], onStoreError: StoreErrorPolicy = .open) {
    self.defaultLimits = defaultLimits
    self.keys = keys
    self.onStoreError = onStoreError
  }

  /// The limits of `key` (a run without a key counts under the default).
  public func limits(for key: String?) -> QuotaLimits? {
    let limits = key.flatMap { keys[$0] } ?? defaultLimits
    return limits?.limitsAnything == true ? limits : nil
  }
}

/// A refusal: which limit, its value, and when trying again may succeed.
public struct QuotaDenial: Error, Sendable, Hashable {
  /// `max_live_runs`, `provider_calls_per_minute` or `tokens_per_day`.
  public var limit: String
  /// The limit's value.
  public var max: Int
  /// When the limit frees up, if known.
  public var retryAfterMilliseconds: Int?

  /// A refusal.
  public init(limit: String, max: Int, retryAfterMilliseconds: Int? = nil) {
    self.limit = limit
    self.max = max
    self.retryAfterMilliseconds = retryAfterMilliseconds
  }
}

/// A key's counters now, for `quota.status`.
public struct QuotaUsage: Sendable, Hashable {
  /// Its live runs.
  public var liveRuns: Int
  /// Provider calls in the last 60 seconds.
  public var callsLastMinute: Int
  /// Tokens counted today (UTC).
  public var tokensToday: Int

  /// Counters.
  public init(liveRuns: Int = 0, callsLastMinute: Int = 0, tokensToday: Int = 0) {
    self.liveRuns = liveRuns
    self.callsLastMinute = callsLastMinute
    self.tokensToday = tokensToday
  }
}
