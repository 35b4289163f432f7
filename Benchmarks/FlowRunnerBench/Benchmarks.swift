import Foundation
import JSON
import JSONRPC
import Logging
import Synchronization

/// One measured figure.
struct Measurement {
  var name: String
  var value: Double
  var unit: String
  var target: String
}

enum Benchmarks {
  /// Pipelined `ping` round trips per second over real pipes.
  static func pingThroughput(binary: String, count: Int) throws -> Measurement {
    let peer = try BenchmarkPeer.initialized(binary: binary)
    defer { peer.stop() }
    var script: [UInt8] = []
    script.reserveCapacity(count * 64)
    for id in 1...count { script += frame(#"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"#) }
    let start = ContinuousClock.now
    let pipelined = script
    let writer = Thread { peer.send(pipelined) }
    writer.start()
    try peer.waitForFrames(count + 1)
    let elapsed = ContinuousClock.now - start
    guard String(decoding: peer.lastBody, as: UTF8.self).contains("\"id\":\(count),") else {
      throw BenchmarkError("last response is not the last ping")
    }
    return Measurement(
      name: "pipelined ping round trips", value: Double(count) / elapsed.seconds, unit: "/s", target: ">= 50,000/s")
  }

  /// Notifications written per second by the connection's ordered writer onto a real pipe, from
  /// 8 concurrent producers, with a reader draining and splitting frames on the other end.
  static func notificationBurst(count: Int) throws -> Measurement {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw BenchmarkError("pipe failed") }
    let readEnd = fds[0]
    let writeEnd = fds[1]
    let received = Atomic<Int>(0)
    let reader = Thread {
      readFrames(from: readEnd) { events in received.add(events.count, ordering: .relaxed) }
    }
    reader.start()
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let writer = OutputWriter(fd: writeEnd, framing: .lsp, logger: logger)
    let producers = 8
    let start = ContinuousClock.now
    DispatchQueue.concurrentPerform(iterations: producers) { producer in
      for index in 0..<(count / producers) {
        let params: JSONValue = [
          "run_id": "run-1", "node_id": .string("node-\(producer)-\(index)"), "status": "running",
        ]
        writer.enqueue(OutgoingMessage.notification(method: "execution.node.status", params: params))
      }
    }
    while received.load(ordering: .relaxed) < count { usleep(50) }
    let elapsed = ContinuousClock.now - start
    writer.close()
    close(writeEnd)
    return Measurement(
      name: "notification burst (writer over a pipe)", value: Double(count) / elapsed.seconds, unit: "/s", target: ">= 200,000/s")
  }

  /// The benchmark reader's own floor: frames split per second from bytes already in memory.
  static func readerFloor(count: Int) -> Measurement {
    var script: [UInt8] = []
    for id in 0..<count { script += frame(#"{"jsonrpc":"2.0","id":\#(id),"result":{}}"#) }
    var parser = LSPFrameParser(maximumMessageBytes: Int.max)
    var events: [FrameEvent] = []
    var total = 0
    let start = ContinuousClock.now
    var offset = 0
    while offset < script.count {
      let end = min(script.count, offset + (1 << 16))
      script.withUnsafeBufferPointer { parser.feed(UnsafeBufferPointer(rebasing: $0[offset..<end]), into: &events) }
      total += events.count
      events.removeAll(keepingCapacity: true)
      offset = end
    }
    precondition(total == count)
    let elapsed = ContinuousClock.now - start
    return Measurement(
      name: "benchmark reader floor (frames split)", value: Double(count) / elapsed.seconds, unit: "/s",
      target: "well above the engine figures")
  }

  /// Time from spawning the binary to reading its `initialize` response; returns median and p90.
  static func spawnToInitialize(binary: String, runs: Int) throws -> [Measurement] {
    var samples: [Double] = []
    var exits: [Double] = []
    for _ in 0..<runs {
      let start = ContinuousClock.now
      let peer = try BenchmarkPeer(binary: binary)
      peer.send(frame(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}"#))
      try peer.waitForFrames(1, timeout: .seconds(10))
      samples.append((ContinuousClock.now - start).seconds * 1000)
      let closed = ContinuousClock.now
      peer.stop()
      exits.append((ContinuousClock.now - closed).seconds * 1000)
    }
    samples.sort()
    exits.sort()
    return [
      Measurement(name: "end of input to process exit, max of \(runs)", value: exits.last!, unit: "ms", target: "<= 1000 ms"),
      Measurement(
        name: "spawn to initialize response, median", value: samples[samples.count / 2], unit: "ms", target: "<= 20 ms"),
      Measurement(name: "spawn to initialize response, p90", value: samples[samples.count * 9 / 10], unit: "ms", target: "-"),
    ]
  }

  /// Resident memory of an initialized, idle engine.
  static func idleResidentMemory(binary: String) throws -> Measurement {
    let peer = try BenchmarkPeer.initialized(binary: binary)
    defer { peer.stop() }
    Thread.sleep(forTimeInterval: 0.5)
    return Measurement(name: "RSS at idle after initialize", value: Double(peer.residentKiB) / 1024, unit: "MiB", target: "-")
  }
}

extension Duration {
  var seconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}
