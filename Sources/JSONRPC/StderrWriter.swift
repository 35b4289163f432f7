import Dispatch
import Signals

/// Writes log lines to stderr from its own thread, so the engine never waits on a stderr pipe
/// that nobody reads. Lines are queued up to ``capacity`` bytes; past that they are dropped and
/// counted, and once the pipe drains a line says how many were lost.
public final class StderrWriter: Sendable {
  /// The process's writer for file descriptor 2.
  public static let shared = StderrWriter(fd: 2)

  private struct State {
    var pending: [UInt8] = []
    var dropped = 0
    var writerIsWaiting = false
  }

  private let fd: Int32
  private let state = Locked(State())
  private let wakeUp = DispatchSemaphore(value: 0)
  /// The most bytes queued before lines are dropped.
  public let capacity: Int

  /// A writer for a descriptor; it starts its thread at once.
  public init(fd: Int32, capacity: Int = 1 << 20) {
    self.fd = fd
    self.capacity = capacity
    startDetachedThread { [self] in writeLoop() }
  }

  /// Lines dropped so far because stderr was not being read.
  public var droppedLineCount: Int { state.withLock { $0.dropped } }

  /// Queues one line (a newline is added); never blocks.
  public func write(line: String) {
    var bytes = Array(line.utf8)
    bytes.append(0x0A)
    let wake = state.withLock { state -> Bool in
      guard state.pending.count + bytes.count <= capacity else {
        state.dropped += 1
        return false
      }
      state.pending += bytes
      defer { state.writerIsWaiting = false }
      return state.writerIsWaiting
    }
    if wake { wakeUp.signal() }
  }

  private func writeLoop() {
    var batch: [UInt8] = []
    var reportedDrops = 0
    while true {
      let dropped = state.withLock { state -> Int? in
        guard !state.pending.isEmpty else {
          state.writerIsWaiting = true
          return nil
        }
        swap(&batch, &state.pending)
        return state.dropped
      }
      guard let dropped else {
        wakeUp.wait()
        continue
      }
      if dropped > reportedDrops {
        batch += Array("flowrunner: \(dropped - reportedDrops) log lines were dropped while stderr was not read.\n".utf8)
        reportedDrops = dropped
      }
      if batch.withUnsafeBytes({ FileDescriptorIO.writeAll(fd, $0) }) != nil {
        // stderr is closed: nothing more can be logged; keep discarding so producers never block.
        state.withLock { $0.pending.removeAll() }
      }
      batch.removeAll(keepingCapacity: batch.capacity <= 1 << 20)
    }
  }
}
