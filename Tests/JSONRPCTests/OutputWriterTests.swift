import FlowRunnerTestSupport
import JSON
import JSONRPC
import Logging
import Signals
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A log handler that keeps what it is given, for assertions on warnings.
final class CapturingLogHandler: Sendable {
  let messages: Locked<[String]> = Locked([])

  func log(event: LogEvent) {
    messages.withLock { $0.append("\(event.level): \(event.message)") }
  }
}

/// A `LogHandler` value that forwards to a shared ``CapturingLogHandler``.
struct ForwardingLogHandler: LogHandler {
  let target: CapturingLogHandler
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace
  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }
  func log(event: LogEvent) { target.log(event: event) }
}

@Suite("Output writer")
struct OutputWriterTests {
  @Test("a client that stops reading gets one warning per stall, and nothing blocks")
  func backlogWarning() throws {
    signal(SIGPIPE, SIG_IGN)  // as the engine does: a closed reader is an EPIPE, not a signal
    let fds = try makeCloseOnExecPipe()
    _ = fcntl(fds[1], 1031, 4096)  // F_SETPIPE_SZ: the smallest pipe, so the backlog does not depend on the default
    let capture = CapturingLogHandler()
    let logger = Logger(label: "test") { _ in ForwardingLogHandler(target: capture) }
    // A stall counts at once here, so the warning depends on the backlog alone.
    let writer = OutputWriter(
      fd: fds[1], framing: .lsp, warningThreshold: 256 << 10, stallWarningSeconds: 0, logger: logger)
    let body = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
    // Nobody reads the pipe: after its buffer fills, everything queues in memory.
    for _ in 0..<2048 { writer.enqueue(body) }
    #expect(writer.pendingByteCount > 1 << 20)
    let warnings = capture.messages.withLock { $0 }.filter { $0.contains("not reading output") }
    // Once per stall, not once per message: the first small writes fill the pipe (progress),
    // then it stalls for good.
    #expect((1...3).contains(warnings.count), "\(warnings.count) warnings for 2048 messages")
    #expect(!writer.flush(timeoutMilliseconds: 50))
    close(fds[0])
    #expect(!writer.flush(timeoutMilliseconds: 2000))  // the reader is gone: never flushed
    #expect(writer.isBroken)
    writer.close()
    close(fds[1])
  }

  @Test("work queued between bytes is run on the writer thread in its place, with the framing of its moment")
  func deferredWork() throws {
    let fds = try makeCloseOnExecPipe()
    let logger = Logger(label: "test") { _ in ForwardingLogHandler(target: CapturingLogHandler()) }
    let writer = OutputWriter(fd: fds[1], framing: .ndjson, logger: logger)
    var expected: [String] = []
    // About 12 KB: it fits in the pipe, so it is all written before anyone reads.
    for index in 0..<2000 {
      if index.isMultiple(of: 3) {
        writer.enqueueDeferred(estimatedBytes: 16) { framing, out in
          framing.appendFrame(to: &out) { $0 += Array("[\(index)]".utf8) }
        }
      } else {
        writer.enqueue(Array("\(index)".utf8))
      }
      expected.append(index.isMultiple(of: 3) ? "[\(index)]" : "\(index)")
    }
    #expect(writer.flush(timeoutMilliseconds: 10_000))
    #expect(writer.pendingByteCount == 0)
    writer.close()
    close(fds[1])
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
      if count <= 0 { break }
      bytes += buffer[0..<count]
    }
    close(fds[0])
    #expect(String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init) == expected)
  }

  @Test("a client that reads never draws the warning, however much is written")
  func readingClient() async throws {
    let fds = try makeCloseOnExecPipe()
    let capture = CapturingLogHandler()
    let logger = Logger(label: "test") { _ in ForwardingLogHandler(target: capture) }
    let writer = OutputWriter(fd: fds[1], framing: .ndjson, warningThreshold: 1 << 20, logger: logger)
    let reader = Task.detached {
      var total = 0
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
        if count <= 0 { return total }
        total += count
      }
    }
    let body = [UInt8](repeating: UInt8(ascii: "y"), count: 4095)
    for _ in 0..<8192 { writer.enqueue(body) }
    #expect(await writer.flush(timeout: .seconds(30)))
    writer.close()
    close(fds[1])
    #expect(await reader.value == 8192 * 4096)
    close(fds[0])
    #expect(capture.messages.withLock { $0 }.filter { $0.contains("not reading output") }.isEmpty)
  }
}
