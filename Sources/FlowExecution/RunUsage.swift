import FlowGraph

/// Usage totals reported on a run's terminal notification.
public struct RunUsage: Sendable, Hashable {
  /// Summed token counts.
  public var tokens = TokenUsage()
  /// Every HTTP attempt made, retries and failures included.
  public var providerCalls = 0
  /// Whether every node that called a provider had its usage reported (`false`: the token
  /// counts are a lower bound).
  public var complete = true

  /// Zero usage.
  public init() {}
}
