import Foundation
import JSON
import JSONRPC
import Signals

/// Reads everything an engine writes on one descriptor, on a thread of its own, and splits it
/// into messages with the engine's own strict frame parser: a wrong `Content-Length` or any
/// byte that is not part of a frame shows up as a frame error.
public final class OutputCollector: Sendable {
  private struct State {
    var raw: [UInt8] = []
    var decoder: FrameDecoder?
    var messages: [JSONValue] = []
    /// Messages before this position have been taken.
    var taken = 0
    var frameErrors: [FrameError] = []
    var closed = false
  }

  private let state: Locked<State>
  private let changes = ChangeSignal()
  /// Where every message read is also recorded, when the suite records its traffic.
  let traffic: TrafficLog?

  /// Starts reading `fd` until end of file; the descriptor is closed then. With no framing the
  /// bytes are only kept (for stderr). `recordsTraffic`: the writer is the engine, whose messages
  /// go to the suite's traffic log when one is kept.
  public init(fd: Int32, framing: FramingMode?, recordsTraffic: Bool = false) {
    state = Locked(State(decoder: framing.map { FrameDecoder(mode: $0, maximumMessageBytes: Int.max) }))
    traffic = framing != nil && recordsTraffic ? TrafficLog.make() : nil
    let thread = Thread { [self] in
      var chunk = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR { continue }
        if count <= 0 { break }
        state.withLock { state in
          state.raw.append(contentsOf: chunk[0..<count])
          guard state.decoder != nil else { return }
          var events: [FrameEvent] = []
          chunk.withUnsafeBufferPointer { state.decoder!.feed(UnsafeBufferPointer(rebasing: $0[0..<count]), into: &events) }
          for event in events {
            switch event {
            case .message(let body):
              if let json = try? JSONParser.parse(body) {
                state.messages.append(json)
                traffic?.received(json)
              } else {
                state.frameErrors.append(
                  FrameError(code: .parseError, message: "unparsable output: \(String(decoding: body, as: UTF8.self))"))
              }
            case .error(let error): state.frameErrors.append(error)
            }
          }
        }
        changes.notify()
      }
      close(fd)
      state.withLock { $0.closed = true }
      changes.notify()
    }
    thread.start()
  }

  /// Every byte read so far.
  public var rawOutput: [UInt8] { state.withLock { $0.raw } }

  /// The first bytes read, up to `count` (cheap to poll while output grows).
  public func prefix(_ count: Int) -> [UInt8] { state.withLock { Array($0.raw.prefix(count)) } }
  /// Framing problems found in the output (must stay empty).
  public var frameErrors: [FrameError] { state.withLock { $0.frameErrors } }
  /// Whether the writer has closed its end.
  public var isClosed: Bool { state.withLock { $0.closed } }
  /// The number of messages read and not yet taken.
  public var pendingCount: Int { state.withLock { $0.messages.count - $0.taken } }

  /// Takes the next message, waiting up to `timeout`.
  public func next(timeout: Duration = .seconds(5)) async throws -> JSONValue {
    let deadline = ContinuousClock.now + timeout
    while true {
      let seen = changes.version
      let message = state.withLock { state -> JSONValue? in
        guard state.taken < state.messages.count else { return nil }
        defer {
          state.taken += 1
          if state.taken > 4096, state.taken * 2 > state.messages.count {
            state.messages.removeFirst(state.taken)
            state.taken = 0
          }
        }
        return state.messages[state.taken]
      }
      if let message { return message }
      guard await changes.wait(changedFrom: seen, until: deadline) else {
        throw PeerError.timeout("no message within \(timeout); frame errors: \(frameErrors)")
      }
    }
  }

  /// Waits `duration` and returns whatever arrived (used to prove that nothing does).
  public func drain(after duration: Duration) async throws -> [JSONValue] {
    try await Task.sleep(for: duration)
    return state.withLock { state in
      defer {
        state.messages = []
        state.taken = 0
      }
      return Array(state.messages[state.taken...])
    }
  }

  /// Waits until end of file, up to `timeout`.
  public func waitUntilClosed(timeout: Duration = .seconds(5)) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
      let seen = changes.version
      if isClosed { return }
      guard await changes.wait(changedFrom: seen, until: deadline) else {
        throw PeerError.timeout("output still open after \(timeout)")
      }
    }
  }

  /// Waits until the bytes read so far satisfy `condition` (for stderr), up to `timeout`.
  public func waitForOutput(timeout: Duration = .seconds(5), _ condition: ([UInt8]) -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
      let seen = changes.version
      if state.withLock({ condition($0.raw) }) { return }
      if isClosed { throw PeerError.timeout("output closed before the expected bytes arrived") }
      guard await changes.wait(changedFrom: seen, until: deadline) else {
        throw PeerError.timeout("the expected output did not arrive within \(timeout)")
      }
    }
  }
}

/// Failures of the test peers themselves.
public enum PeerError: Error, CustomStringConvertible {
  case timeout(String)
  case setup(String)

  public var description: String {
    switch self {
    case .timeout(let text): "timed out: \(text)"
    case .setup(let text): "setup failed: \(text)"
    }
  }
}
