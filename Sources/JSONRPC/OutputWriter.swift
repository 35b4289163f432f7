import Dispatch
import Logging
import Synchronization

/// The single ordered writer of a connection's output.
///
/// Producers on any thread append framed messages to one pending buffer under a mutex; a
/// dedicated thread takes the whole buffer at once and writes it with blocking `write` calls.
/// Frames therefore never interleave, thousands of small messages coalesce into few system
/// calls, and a slow reader never blocks a producer. When the peer stops reading, the pending
/// buffer grows: a warning goes to the log each time it doubles past ``warningThreshold``.
public final class OutputWriter: Sendable {
  private struct State {
    var pending: [UInt8] = []
    /// Bytes the writer thread has taken and is writing.
    var inFlight = 0
    var framing: Framing
    var writerIsWaiting = false
    var isWriting = false
    var closed = false
    var broken = false
    var nextWarning: Int
  }

  private let fd: Int32
  private let state: Mutex<State>
  private let wakeUp = DispatchSemaphore(value: 0)
  private let logger: Logger
  /// The pending size at which the first "peer is not reading" warning is logged.
  public let warningThreshold: Int

  /// A writer for a descriptor; it starts its thread at once.
  public init(fd: Int32, framing: Framing, warningThreshold: Int = 16 << 20, logger: Logger) {
    self.fd = fd
    self.logger = logger
    self.warningThreshold = warningThreshold
    self.state = Mutex(State(framing: framing, nextWarning: warningThreshold))
    startDetachedThread { [self] in writeLoop() }
  }

  /// The framing applied to messages from now on.
  public var framing: Framing {
    get { state.withLock { $0.framing } }
    set { state.withLock { $0.framing = newValue } }
  }

  /// Bytes accepted but not yet handed to the kernel (queued, or taken by the writer thread).
  public var pendingByteCount: Int { state.withLock { $0.pending.count + $0.inFlight } }

  /// Whether a write has failed (the peer closed its end); later messages are dropped.
  public var isBroken: Bool { state.withLock { $0.broken } }

  /// Frames and queues one message body.
  public func enqueue(_ body: [UInt8]) {
    let (wake, warnAt) = state.withLock { state -> (Bool, Int?) in
      guard !state.closed, !state.broken else { return (false, nil) }
      state.framing.append(body, to: &state.pending)
      return Self.afterAppend(&state)
    }
    finishEnqueue(wake: wake, warnAt: warnAt)
  }

  /// Queues bytes that are already framed with this writer's ``framing`` (whole frames only).
  public func enqueueFramed(_ bytes: [UInt8]) {
    let (wake, warnAt) = state.withLock { state -> (Bool, Int?) in
      guard !state.closed, !state.broken else { return (false, nil) }
      if state.pending.isEmpty {
        state.pending = bytes
      } else {
        state.pending.append(contentsOf: bytes)
      }
      return Self.afterAppend(&state)
    }
    finishEnqueue(wake: wake, warnAt: warnAt)
  }

  private static func afterAppend(_ state: inout State) -> (Bool, Int?) {
    var warnAt: Int?
    let backlog = state.pending.count + state.inFlight
    if backlog >= state.nextWarning {
      warnAt = backlog
      state.nextWarning *= 2
    }
    let wake = state.writerIsWaiting
    state.writerIsWaiting = false
    return (wake, warnAt)
  }

  private func finishEnqueue(wake: Bool, warnAt: Int?) {
    if wake { wakeUp.signal() }
    if let warnAt {
      logger.warning(
        "The client is not reading output: \(warnAt >> 20) MiB are waiting to be written. Memory use grows until it reads.")
    }
  }

  /// Waits until everything queued so far has been written, the peer is gone, or `timeout` passes.
  /// Returns whether the output was fully flushed.
  @discardableResult
  public func flush(timeoutMilliseconds: Int = 1000) -> Bool {
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMilliseconds) * 1_000_000
    while true {
      let (done, drained) = state.withLock { state in
        (state.broken || (state.pending.isEmpty && !state.isWriting), state.pending.isEmpty && !state.isWriting)
      }
      if done { return drained }
      if DispatchTime.now().uptimeNanoseconds >= deadline { return false }
      usleepMilliseconds(1)
    }
  }

  /// Stops accepting messages; the thread ends after writing what is pending.
  public func close() {
    let wake = state.withLock { state -> Bool in
      state.closed = true
      let wake = state.writerIsWaiting
      state.writerIsWaiting = false
      return wake
    }
    if wake { wakeUp.signal() }
  }

  private func writeLoop() {
    var batch: [UInt8] = []
    while true {
      let action = state.withLock { state -> Bool? in
        state.isWriting = false
        state.inFlight = 0
        if state.pending.isEmpty {
          // Caught up: the next backlog warns from the first threshold again.
          state.nextWarning = warningThreshold
          if state.closed { return nil }
          state.writerIsWaiting = true
          return false
        }
        swap(&batch, &state.pending)
        state.inFlight = batch.count
        state.isWriting = true
        return true
      }
      switch action {
      case nil: return
      case false?: wakeUp.wait()
      case true?:
        let failure = batch.withUnsafeBytes { FileDescriptorIO.writeAll(fd, $0) }
        if let failure {
          logger.error("Writing output failed (errno \(failure)); the client has closed its end. Further output is dropped.")
          state.withLock { state in
            state.broken = true
            state.pending = []
          }
        }
        batch.removeAll(keepingCapacity: batch.capacity <= 4 << 20)
      }
    }
  }
}

func usleepMilliseconds(_ milliseconds: Int) {
  var request = timespec(tv_sec: 0, tv_nsec: milliseconds * 1_000_000)
  var remaining = timespec()
  while nanosleep(&request, &remaining) != 0 { request = remaining }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
