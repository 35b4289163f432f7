import FlowRunnerTestSupport
import Foundation
import JSON
import Logging
import Testing

@testable import JSONRPC

@Suite("Batch collector")
struct BatchCollectorTests {
  @Test("a batch's collector, replies and response bodies are freed once its answer is written")
  func freedAfterAnswer() throws {
    let fds = try makeCloseOnExecPipe()
    defer {
      close(fds[0])
      close(fds[1])
    }
    let writer = OutputWriter(fd: fds[1], framing: .ndjson, warningThreshold: 1 << 20, logger: Logger(label: "test"))
    weak var weakCollector: BatchCollector?
    weak var weakReply: Reply?
    do {
      // Wired as the connection wires a batch: each reply's delivery fills the collector.
      let collector = BatchCollector(count: 2, writer: writer)
      let replies = (0..<2).map { slot in
        Reply(id: .int(slot), method: "ping") { _, bytes in collector.fill(slot, with: bytes) }
      }
      for reply in replies { collector.register(reply) }
      weakCollector = collector
      weakReply = replies[0]
      #expect(replies[0].succeed([:]))
      #expect(replies[1].succeed([:]))
    }
    #expect(weakCollector == nil, "the collector outlived its batch")
    #expect(weakReply == nil, "a reply outlived its batch")
    #expect(writer.flush(timeoutMilliseconds: 2000))
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
    let line = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
    #expect(line.hasPrefix(#"[{"jsonrpc":"2.0","id":0,"result":{}},{"jsonrpc":"2.0","id":1,"result":{}}]"#), "\(line)")
    writer.close()
  }
}
