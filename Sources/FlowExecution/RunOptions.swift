/// `execution.start` options.
public struct RunOptions: Sendable, Hashable {
  /// How the server-side cache is used.
  public enum CacheMode: String, Sendable, CaseIterable {
    case use, refresh, off
  }

  /// Nodes of the run executing at once.
  public var maxConcurrency: Int
  /// Whether to send `execution.node.delta`.
  public var stream: Bool
  /// Cache use.
  public var cache: CacheMode
  /// A run still live after this many seconds ends with `run_timeout`.
  public var timeoutSeconds: Double?

  /// Allowed `max_concurrency` values.
  public static let maxConcurrencyRange = 1...10_000
  /// Allowed `timeout_seconds` values: a millisecond to a year.
  public static let timeoutRange = 0.001...31_536_000.0

  /// Options with the protocol's defaults.
  public init(maxConcurrency: Int = 32, stream: Bool = false, cache: CacheMode = .use, timeoutSeconds: Double? = nil) {
    self.maxConcurrency = maxConcurrency
    self.stream = stream
    self.cache = cache
    self.timeoutSeconds = timeoutSeconds
  }
}
