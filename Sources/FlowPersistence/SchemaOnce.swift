import Signals

/// Creates a database's tables once per process however many callers need them at the same
/// moment: the first caller's attempt is shared by all; a failed attempt is tried again by the
/// next caller.
final class SchemaOnce: Sendable {
  private let attempt = Locked<Task<Bool, Never>?>(nil)

  /// Whether the tables exist, creating them with `create` if no attempt succeeded yet.
  func ensure(_ create: @escaping @Sendable () async -> Bool) async -> Bool {
    let task = attempt.withLock { attempt -> Task<Bool, Never> in
      if let attempt { return attempt }
      let task = Task { await create() }
      attempt = task
      return task
    }
    let created = await task.value
    if !created { attempt.withLock { if $0 == task { $0 = nil } } }
    return created
  }
}
