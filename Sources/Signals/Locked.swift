import NIOConcurrencyHelpers

/// A value behind a lock, for state that tasks and threads share.
///
/// The lock is a POSIX mutex, which ThreadSanitizer understands: it sees every hand-over, so a
/// run of the suite under `.ci/sanitize thread` reports real races only.
public struct Locked<Value: Sendable>: Sendable {
  private let box: NIOLockedValueBox<Value>

  /// A lock around `value`.
  public init(_ value: Value) { box = NIOLockedValueBox(value) }

  /// Runs `body` with the value while holding the lock; `body` must not wait or take the lock
  /// again.
  public func withLock<Result, Failure: Error>(
    _ body: (inout Value) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    let outcome = box.withLockedValue { value in
      Swift.Result { () throws(Failure) -> Result in try body(&value) }
    }
    return try outcome.get()
  }
}
