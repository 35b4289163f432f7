import FlowGraph

/// Usage totals reported on a run's terminal notification.
public struct RunUsage: Sendable, Hashable {
  /// Summed token counts.
  public var tokens = TokenUsage()
  /// Every HTTP attempt made, retries and failures included.
  public var providerCalls = 0

  /// Zero usage.
  public init() {}
}
