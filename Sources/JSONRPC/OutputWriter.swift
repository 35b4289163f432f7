import Dispatch
import Logging
import Signals

/// The single ordered writer of a connection's output.
///
/// Producers on any thread append framed messages to one pending buffer under a mutex; a
/// dedicated thread takes the whole buffer at once and writes it with blocking `write` calls.
/// Frames therefore never interleave, thousands of small messages coalesce into few system
/// calls, and a slow reader never blocks a producer. When the peer stops reading, the pending
/// buffer grows: once writes have made no progress for ``stallWarningSeconds`` while at least
/// ``warningThreshold`` bytes wait, one warning goes to the log for that stall.
///
/// A producer may also queue work instead of bytes (``enqueueDeferred(estimatedBytes:_:)``):
/// the writer thread runs it in its place in the queue, so encoding runs beside the producer
/// rather than on its thread.
public final class OutputWriter: Sendable {
  /// Appends framed messages to the batch being written; runs on the writer thread, in queue
  /// order, with the framing in force when it was queued.
  public typealias DeferredFrames = @Sendable (Framing, inout [UInt8]) -> Void

  /// Work queued in the byte stream: `produce` goes at offset `at` of the pending bytes.
  private struct Deferred {
    var at: Int
    var framing: Framing
    var produce: DeferredFrames
  }

  private struct State {
    var pending: [UInt8] = []
    /// Work queued between the pending bytes, in order.
    var deferred: [Deferred] = []
    /// What the queued work is expected to produce, for the backlog.
    var deferredBytes = 0
    /// Bytes the writer thread has taken and not yet written.
    var inFlight = 0
    var framing: Framing
    var writerIsWaiting = false
    var isWriting = false
    var closed = false
    var broken = false
    /// When the last chunk reached the kernel (or the writer started waiting for work).
    var lastProgress = DispatchTime.now().uptimeNanoseconds
    /// Whether the current stall has been reported.
    var stallReported = false
    /// Called once the output is drained (true) or broken (false).
    var flushWaiters: [Int: @Sendable (Bool) -> Void] = [:]
    var nextWaiterID = 0

    var isDrained: Bool { pending.isEmpty && deferred.isEmpty && !isWriting }
    var isIdle: Bool { pending.isEmpty && deferred.isEmpty }
  }

  private let fd: Int32
  private let state: Locked<State>
  private let wakeUp = DispatchSemaphore(value: 0)
  private let logger: Logger
  /// The backlog below which a stall is not worth a warning.
  public let warningThreshold: Int
  /// How long writes must make no progress before the "client is not reading" warning.
  public let stallWarningSeconds: Double
  /// The most bytes handed to one `write` call, so progress is seen while a large batch drains.
  private static let chunkBytes = 1 << 20
  /// Encoded work is written out once this much is ready: the client starts reading a long
  /// burst early, and the buffer it is encoded into stays small (and is reused).
  private static let encodedChunkBytes = 128 << 10

  /// A writer for a descriptor; it starts its thread at once.
  public init(
    fd: Int32, framing: Framing, warningThreshold: Int = 16 << 20, stallWarningSeconds: Double = 5, logger: Logger
  ) {
    self.fd = fd
    self.logger = logger
    self.warningThreshold = warningThreshold
    self.stallWarningSeconds = stallWarningSeconds
    self.state = Locked(State(framing: framing))
    startDetachedThread { [self] in writeLoop() }
  }

  /// The framing applied to messages from now on.
  public var framing: Framing {
    get { state.withLock { $0.framing } }
    set { state.withLock { $0.framing = newValue } }
  }

  /// Bytes accepted but not yet handed to the kernel (queued, or taken by the writer thread).
  public var pendingByteCount: Int { state.withLock { $0.pending.count + $0.deferredBytes + $0.inFlight } }

  /// Whether a write has failed (the peer closed its end); later messages are dropped.
  public var isBroken: Bool { state.withLock { $0.broken } }

  /// Frames and queues one message body.
  public func enqueue(_ body: [UInt8]) {
    let (wake, warnAt) = state.withLock { state -> (Bool, Int?) in
      guard !state.closed, !state.broken else { return (false, nil) }
      state.framing.append(body, to: &state.pending)
      return afterAppend(&state)
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
      return afterAppend(&state)
    }
    finishEnqueue(wake: wake, warnAt: warnAt)
  }

  /// Queues work that appends framed messages (``framing`` at this moment) when the writer
  /// thread reaches it: after everything queued before, before everything queued after.
  public func enqueueDeferred(estimatedBytes: Int, _ produce: @escaping DeferredFrames) {
    let (wake, warnAt) = state.withLock { state -> (Bool, Int?) in
      guard !state.closed, !state.broken else { return (false, nil) }
      state.deferred.append(Deferred(at: state.pending.count, framing: state.framing, produce: produce))
      state.deferredBytes += estimatedBytes
      return afterAppend(&state)
    }
    finishEnqueue(wake: wake, warnAt: warnAt)
  }

  private func afterAppend(_ state: inout State) -> (Bool, Int?) {
    var warnAt: Int?
    let now = DispatchTime.now().uptimeNanoseconds
    // Waking an idle writer: the stall clock starts now, not when it last wrote.
    if state.writerIsWaiting { state.lastProgress = now }
    let backlog = state.pending.count + state.deferredBytes + state.inFlight
    if !state.stallReported, backlog >= warningThreshold {
      let stalled = Double(now &- state.lastProgress) / 1e9
      if stalled >= stallWarningSeconds {
        state.stallReported = true
        warnAt = backlog
      }
    }
    let wake = state.writerIsWaiting
    state.writerIsWaiting = false
    return (wake, warnAt)
  }

  private func finishEnqueue(wake: Bool, warnAt: Int?) {
    if wake { wakeUp.signal() }
    if let warnAt {
      logger.warning(
        "The client is not reading output: nothing was written for \(Int(stallWarningSeconds)) s and \(warnAt >> 20) MiB are waiting. Memory use grows until it reads."
      )
    }
  }

  /// Registers `done` to be called once everything queued so far is written (true) or the
  /// peer is gone (false); returns an id to withdraw it, or `nil` when it was called at once.
  private func whenDrained(_ done: @escaping @Sendable (Bool) -> Void) -> Int? {
    let (id, immediate) = state.withLock { state -> (Int?, Bool?) in
      if state.broken { return (nil, false) }
      if state.isDrained { return (nil, true) }
      let id = state.nextWaiterID
      state.nextWaiterID += 1
      state.flushWaiters[id] = done
      return (id, nil)
    }
    if let immediate { done(immediate) }
    return id
  }

  /// Withdraws a waiter; returns it when it had not been called yet.
  private func withdraw(_ id: Int) -> (@Sendable (Bool) -> Void)? {
    state.withLock { $0.flushWaiters.removeValue(forKey: id) }
  }

  /// Waits until everything queued so far has been written, the peer is gone, or `timeout`
  /// passes. Returns whether the output was fully flushed.
  @discardableResult
  public func flush(timeoutMilliseconds: Int = 1000) -> Bool {
    let done = DispatchSemaphore(value: 0)
    let result = Locked(false)
    guard
      let id = whenDrained({ flushed in
        result.withLock { $0 = flushed }
        done.signal()
      })
    else { return result.withLock { $0 } }
    if done.wait(timeout: .now() + .milliseconds(timeoutMilliseconds)) == .timedOut, withdraw(id) != nil {
      return false
    }
    return result.withLock { $0 }
  }

  /// The asynchronous ``flush(timeoutMilliseconds:)``: suspends until the output is written,
  /// the peer is gone, `timeout` passes or the task is cancelled.
  @discardableResult
  public func flush(timeout: Duration) async -> Bool {
    // Already written (or never to be): answer without scheduling anything.
    if let settled = state.withLock({ $0.broken ? false : ($0.isDrained ? true : nil) }) { return settled }
    return await withTaskGroup(of: Bool?.self) { group in
      group.addTask { [self] in
        let ids = Locked<Int?>(nil)
        return await withTaskCancellationHandler {
          await withCheckedContinuation { continuation in
            let id = whenDrained { continuation.resume(returning: $0) }
            ids.withLock { $0 = id }
          }
        } onCancel: {
          if let id = ids.withLock({ $0 }), let waiter = withdraw(id) { waiter(false) }
        }
      }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return nil
      }
      defer { group.cancelAll() }
      return (await group.next() ?? nil) ?? false
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

  private enum Step {
    case write
    case wait
    case stop
  }

  private func writeLoop() {
    var batch: [UInt8] = []
    var assembled: [UInt8] = []
    // Room for a chunk and a large batch or terminal notification after it, so the buffer is not
    // moved (and fresh pages touched again) as it grows; room never written costs address space only.
    assembled.reserveCapacity(16 * Self.encodedChunkBytes)
    var work: [Deferred] = []
    while true {
      let (step, drainedWaiters) = state.withLock { state -> (Step, [@Sendable (Bool) -> Void]) in
        state.isWriting = false
        state.inFlight = 0
        state.lastProgress = DispatchTime.now().uptimeNanoseconds
        state.stallReported = false
        if state.isIdle {
          let waiters = Array(state.flushWaiters.values)
          state.flushWaiters = [:]
          if state.closed { return (.stop, waiters) }
          state.writerIsWaiting = true
          return (.wait, waiters)
        }
        swap(&batch, &state.pending)
        swap(&work, &state.deferred)
        state.inFlight = batch.count + state.deferredBytes
        state.deferredBytes = 0
        state.isWriting = true
        return (.write, [])
      }
      for waiter in drainedWaiters { waiter(true) }
      switch step {
      case .stop: return
      case .wait: wakeUp.wait()
      case .write:
        var failure: Int32?
        if work.isEmpty {
          failure = writeInChunks(batch)
        } else {
          // Runs the queued work in its place between the queued bytes, writing out whenever a
          // chunk's worth is ready, so the output of a long burst is never held whole.
          var copied = 0
          for item in work where failure == nil {
            assembled.append(contentsOf: batch[copied..<item.at])
            copied = item.at
            item.produce(item.framing, &assembled)
            if assembled.count >= Self.encodedChunkBytes {
              failure = writeInChunks(assembled)
              assembled.removeAll(keepingCapacity: true)
            }
          }
          if failure == nil {
            assembled.append(contentsOf: batch[copied...])
            failure = writeInChunks(assembled)
          }
          work.removeAll(keepingCapacity: true)
          assembled.removeAll(keepingCapacity: assembled.capacity <= 4 << 20)
        }
        if let failure {
          logger.error("Writing output failed (errno \(failure)); the client has closed its end. Further output is dropped.")
          let waiters = state.withLock { state -> [@Sendable (Bool) -> Void] in
            state.broken = true
            state.pending = []
            state.deferred = []
            state.deferredBytes = 0
            defer { state.flushWaiters = [:] }
            return Array(state.flushWaiters.values)
          }
          for waiter in waiters { waiter(false) }
        }
        batch.removeAll(keepingCapacity: batch.capacity <= 4 << 20)
      }
    }
  }

  /// Writes a batch a chunk at a time, recording progress after each; returns errno on failure.
  private func writeInChunks(_ batch: [UInt8]) -> Int32? {
    batch.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let end = min(bytes.count, offset + Self.chunkBytes)
        if let failure = FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) {
          return failure
        }
        offset = end
        state.withLock { state in
          state.inFlight = bytes.count - offset
          state.lastProgress = DispatchTime.now().uptimeNanoseconds
          state.stallReported = false
        }
      }
      return nil
    }
  }
}
