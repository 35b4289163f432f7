/// A value set once, awaited by any number of tasks: the end of a run, the process's exit
/// code, the end of input. Setting it again is ignored; waiting after it is set returns at once.
public final class Latch<Value: Sendable>: Sendable {
  private struct State {
    var value: Value?
    var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
    var expired: Set<Int> = []
    var nextID = 0
  }

  private let state = Locked(State())

  /// An unset latch.
  public init() {}

  /// The value, once set.
  public var value: Value? { state.withLock { $0.value } }

  /// Sets the value and wakes every waiter; returns false (and changes nothing) when it was
  /// already set.
  @discardableResult
  public func set(_ value: Value) -> Bool {
    let waiters = state.withLock { state -> [CheckedContinuation<Value?, Never>]? in
      guard state.value == nil else { return nil }
      state.value = value
      defer { state.waiters = [:] }
      return Array(state.waiters.values)
    }
    guard let waiters else { return false }
    for waiter in waiters { waiter.resume(returning: value) }
    return true
  }

  /// Suspends until the value is set.
  public func wait() async -> Value {
    let id = register()
    // Without a deadline nothing expires the waiter: it resumes with the value.
    return await suspend(id) ?? { preconditionFailure("a latch waiter without a deadline expired") }()
  }

  /// Suspends until the value is set (returning it) or `timeout` passes (returning `nil`).
  public func wait(timeout: Duration) async -> Value? {
    let id = register()
    let timer = Task { [self] in
      // Cancelled (the value came first): nothing to expire.
      guard (try? await Task.sleep(for: timeout)) != nil else { return }
      let waiter = state.withLock { state in
        state.expired.insert(id)
        return state.waiters.removeValue(forKey: id)
      }
      waiter?.resume(returning: nil)
    }
    defer { timer.cancel() }
    return await suspend(id)
  }

  private func register() -> Int {
    state.withLock { state in
      defer { state.nextID += 1 }
      return state.nextID
    }
  }

  private func suspend(_ id: Int) async -> Value? {
    await withCheckedContinuation { continuation in
      let now = state.withLock { state -> Value?? in
        if let value = state.value { return .some(value) }
        if state.expired.remove(id) != nil { return .some(nil) }
        state.waiters[id] = continuation
        return nil
      }
      if let now { continuation.resume(returning: now) }
    }
  }
}
