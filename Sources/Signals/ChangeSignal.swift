/// Lets tasks wait, without polling, for something a thread changes: the thread calls
/// ``notify()``; a waiter passes the ``version`` it last saw and resumes once it has moved on,
/// or when its deadline passes.
public final class ChangeSignal: Sendable {
  private struct State {
    var version = 0
    var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    var expired: Set<Int> = []
    var nextID = 0
  }

  private let state = Locked(State())

  /// A signal at version 0.
  public init() {}

  /// The current version.
  public var version: Int { state.withLock { $0.version } }

  /// Moves the version on and wakes every waiter.
  public func notify() {
    let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
      state.version += 1
      defer { state.waiters = [:] }
      return Array(state.waiters.values)
    }
    for waiter in waiters { waiter.resume(returning: true) }
  }

  /// Suspends until the version differs from `seen` (true) or `deadline` passes (false).
  public func wait(changedFrom seen: Int, until deadline: ContinuousClock.Instant) async -> Bool {
    let id = state.withLock { state -> Int in
      defer { state.nextID += 1 }
      return state.nextID
    }
    let timer = Task { [self] in
      // Cancelled (a change came first): nothing to expire.
      guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
      let waiter = state.withLock { state in
        state.expired.insert(id)
        return state.waiters.removeValue(forKey: id)
      }
      waiter?.resume(returning: false)
    }
    defer { timer.cancel() }
    return await withCheckedContinuation { continuation in
      let now = state.withLock { state -> Bool? in
        if state.version != seen { return true }
        if state.expired.contains(id) { return false }
        state.waiters[id] = continuation
        return nil
      }
      if let now { continuation.resume(returning: now) }
    }
  }
}
