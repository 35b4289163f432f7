/// Counts pieces of work in progress (requests being answered, starts being validated) so that
/// whoever must come after them (`shutdown`, the end of input) can wait until none is left.
public final class ActivityCounter: Sendable {
  private struct State {
    var active = 0
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
  }

  private let state = Locked(State())

  /// A counter at zero.
  public init() {}

  /// One more piece of work began.
  public func enter() {
    state.withLock { $0.active += 1 }
  }

  /// One piece of work ended.
  public func leave() {
    let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      state.active -= 1
      guard state.active == 0 else { return [] }
      defer { state.idleWaiters = [] }
      return state.idleWaiters
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Suspends until no work is in progress.
  public func waitUntilIdle() async {
    await withCheckedContinuation { continuation in
      let now = state.withLock { state -> Bool in
        if state.active == 0 { return true }
        state.idleWaiters.append(continuation)
        return false
      }
      if now { continuation.resume() }
    }
  }
}
