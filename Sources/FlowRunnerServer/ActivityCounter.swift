import Synchronization

/// Counts pieces of work in progress (starts being validated off the reader) so that whoever
/// must come after them (`shutdown`, the end of input) can wait until none is left.
final class ActivityCounter: Sendable {
  private struct State {
    var active = 0
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
  }

  private let state = Mutex(State())

  /// One more piece of work began.
  func enter() {
    state.withLock { $0.active += 1 }
  }

  /// One piece of work ended.
  func leave() {
    let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      state.active -= 1
      guard state.active == 0 else { return [] }
      defer { state.idleWaiters = [] }
      return state.idleWaiters
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Suspends until no work is in progress.
  func waitUntilIdle() async {
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
