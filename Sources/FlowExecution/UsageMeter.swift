import Synchronization

/// Counts a run's provider calls (every attempt, failures included) from any task.
public final class UsageMeter: Sendable {
  private let calls = Atomic<Int>(0)

  /// A meter at zero.
  public init() {}

  /// Records one provider call attempt.
  public func recordCall() { calls.add(1, ordering: .relaxed) }

  /// The calls recorded.
  public var providerCalls: Int { calls.load(ordering: .relaxed) }
}
