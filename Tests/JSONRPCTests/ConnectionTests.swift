import FlowRunnerTestSupport
import JSON
import JSONRPC
import Signals
import Synchronization
import Testing

/// A handler with methods that exercise the connection: slow work, faults, bursts of output.
final class ScriptedHandler: MessageHandler {
  let connection: Locked<Connection?> = Locked(nil)
  let cancelledTasks = Atomic<Int>(0)
  /// Set when a `sleep` handler's Task sees its cancellation.
  let cancellationSeen = Latch<Void>()

  struct Fault: Error {}

  func handle(_ request: Request, reply: Reply) {
    switch request.method {
    case "sleep":
      reply.run { [self] in
        do {
          try await Task.sleep(for: .seconds(30))
        } catch {
          cancelledTasks.add(1, ordering: .relaxed)
          cancellationSeen.set(())
          throw error
        }
        return "woke"
      }
    case "fault":
      reply.run { throw Fault() }
    case "echo":
      reply.succeed(request.params ?? .null)
    case "later":
      reply.run {
        try await Task.sleep(for: .milliseconds(20))
        return request.params ?? .null
      }
    case "burst":
      let connection = connection.withLock { $0 }!
      let producers = request.params?["producers"]?.intValue ?? 1
      let count = request.params?["count"]?.intValue ?? 1
      reply.run {
        await withTaskGroup(of: Void.self) { group in
          for producer in 0..<producers {
            group.addTask {
              for sequence in 0..<count {
                connection.sendNotification(
                  "tick", params: ["producer": .int(producer), "sequence": .int(sequence), "text": "é😀\n\"x\""])
              }
            }
          }
        }
        return .int(producers * count)
      }
    case "announce":
      let connection = connection.withLock { $0 }!
      reply.succeed("first")
      reply.afterDelivery { connection.sendNotification("after", params: nil) }
    default:
      reply.fail(.methodNotFound(request.method))
    }
  }

  func handle(_ notification: Notification) {}
  func inputClosed() {}
}

@Suite("Connection")
struct ConnectionTests {
  func makePeer() throws -> (InProcessPeer, ScriptedHandler) {
    let handler = ScriptedHandler()
    let peer = try InProcessPeer(handler: handler)
    handler.connection.withLock { $0 = peer.engineConnection }
    return (peer, handler)
  }

  @Test("$/cancelRequest answers -32800 and cancels the handler's Task")
  func cancelRequest() async throws {
    let (peer, handler) = try makePeer()
    try peer.sendLSP(requestBody("sleep", id: 1))
    try peer.sendLSP(notificationBody("$/cancelRequest", params: ["id": 1]))
    let response = try await peer.next()
    expectError(response, code: -32800, id: 1)
    #expect(await handler.cancellationSeen.wait(timeout: .seconds(10)) != nil, "the handler's Task was not cancelled")
    #expect(handler.cancelledTasks.load(ordering: .relaxed) == 1)
    try peer.sendLSP(requestBody("echo", id: 2, params: ["x": 1]))
    #expect(try await peer.next()["result"] == ["x": 1])
    #expect(try await peer.messagesBeforePing().isEmpty)  // the cancelled request is not answered twice
    await peer.finish()
  }

  @Test("a cancel that arrives in the same write as its request still cancels it")
  func cancelInSameWrite() async throws {
    let (peer, _) = try makePeer()
    try peer.send(lspFrame(requestBody("sleep", id: "s")) + lspFrame(notificationBody("$/cancelRequest", params: ["s"])))
    expectError(try await peer.next(), code: -32800, id: "s")
    await peer.finish()
  }

  @Test("number ids are echoed digit for digit, alone, in a batch and when cancelled")
  func exactNumberIDs() async throws {
    let (peer, _) = try makePeer()
    let big = "123456789012345678901234567890"
    try peer.sendLSP(#"{"jsonrpc":"2.0","id":\#(big),"method":"echo","params":[1]}"#)
    _ = try await peer.next()
    try peer.sendLSP(#"[{"jsonrpc":"2.0","id":1.50,"method":"echo","params":[2]},{"jsonrpc":"2.0","id":-0,"method":"echo"}]"#)
    _ = try await peer.next()
    try peer.sendLSP(#"{"jsonrpc":"2.0","id":9223372036854775808,"method":"sleep"}"#)
    try peer.sendLSP(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":9223372036854775808}}"#)
    expectError(try await peer.next(), code: -32800, id: 9_223_372_036_854_775_808.0)
    let output = String(decoding: peer.output.rawOutput, as: UTF8.self)
    for echoed in [#""id":\#(big),"result":[1]"#, #""id":1.50,"result":[2]"#, #""id":-0,"#, #""id":9223372036854775808,"#] {
      #expect(output.contains(echoed), "missing \(echoed) in \(output)")
    }
    await peer.finish()
  }

  @Test("a handler fault is answered -32603 and the connection keeps serving")
  func fault() async throws {
    let (peer, _) = try makePeer()
    try peer.sendLSP(requestBody("fault", id: 1))
    expectError(try await peer.next(), code: -32603, id: 1)
    try peer.sendLSP(requestBody("echo", id: 2, params: [1]))
    #expect(try await peer.next()["result"] == [1])
    await peer.finish()
  }

  @Test("a batch waits for its slow members and answers in one array")
  func batchWithAsyncMembers() async throws {
    let (peer, _) = try makePeer()
    try peer.sendLSP(
      "[\(requestBody("later", id: 1, params: ["a"])),\(requestBody("echo", id: 2, params: ["b"])),\(notificationBody("x"))]")
    let batch = try #require(try await peer.next().arrayValue)
    #expect(batch.count == 2)
    #expect(Set(batch.compactMap { $0["id"] }) == [1, 2])
    await peer.finish()
  }

  @Test("work started after delivery is written after the response")
  func afterDelivery() async throws {
    let (peer, _) = try makePeer()
    for id in 0..<50 { try peer.sendLSP(requestBody("announce", id: .int(id))) }
    for id in 0..<50 {
      #expect(try await peer.next()["id"] == .int(id))
      #expect(try await peer.next()["method"] == "after")
    }
    await peer.finish()
  }

  @Test("thousands of notifications from concurrent producers never interleave")
  func concurrentProducers() async throws {
    let (peer, _) = try makePeer()
    try peer.sendLSP(requestBody("burst", id: 1, params: ["producers": 8, "count": 2500]))
    var next = [Int](repeating: 0, count: 8)
    var sawResponse = false
    for _ in 0..<(8 * 2500 + 1) {
      let message = try await peer.next()
      if message["id"] == 1 {
        sawResponse = true
        #expect(message["result"] == 20000)
        continue
      }
      let producer = try #require(message["params"]?["producer"]?.intValue)
      #expect(message["params"]?["sequence"]?.intValue == next[producer])
      #expect(message["params"]?["text"] == "é😀\n\"x\"")
      next[producer] += 1
    }
    #expect(sawResponse)
    #expect(next == [Int](repeating: 2500, count: 8))
    #expect(peer.output.frameErrors.isEmpty)
    await peer.finish()
  }
}
