import FlowProviders
import Foundation
import JSON
import JSONRPC

/// The engine staying responsive: a `ping` behind a large request, and a graceful stop of a
/// busy engine.
enum ResponsivenessBenchmarks {
  /// A `ping` written right after a ~20 MB `flow.validate`: the time from writing the ping to
  /// reading its answer (the validation is still being worked on).
  static func pingBehindLargeValidate(binary: String, repetitions: Int) throws -> [Measurement] {
    let flow = GraphBenchmarks.dag(nodes: 90_000)
    let validate = frame(JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "flow.validate", "params": flow]).description)
    let ping = frame(#"{"jsonrpc":"2.0","id":"ping-behind","method":"ping"}"#)
    var samples: [Double] = []
    for _ in 0..<repetitions {
      let peer = try BenchmarkPeer.initialized(binary: binary)
      peer.watch(for: #"{"jsonrpc":"2.0","id":"ping-behind""#)
      peer.send(validate)
      let sent = ContinuousClock.now
      peer.send(ping)
      samples.append((try peer.waitForWatched() - sent).seconds * 1000)
      try peer.waitForFrames(3)  // initialize, ping, validate: the validation did finish
      peer.stop()
    }
    samples.sort()
    return [
      Measurement(
        name: "ping behind a \(validate.count >> 20) MiB flow.validate, answer latency, median of \(repetitions)",
        value: samples[samples.count / 2], unit: "ms", target: "<= 5 ms"),
      Measurement(name: "… worst", value: samples[samples.count - 1], unit: "ms", target: "-"),
    ]
  }

  /// SIGTERM to an engine busy with a 10,000-node run: the time from the signal to the
  /// process's exit (its terminal notification written first).
  static func sigtermExit(binary: String, repetitions: Int) throws -> [Measurement] {
    let start = frame(
      JSONValue.object([
        "jsonrpc": "2.0", "id": 1, "method": "execution.start", "params": GraphBenchmarks.dag(nodes: 10_000),
      ]).description)
    var samples: [Double] = []
    var terminals = 0
    for _ in 0..<repetitions {
      let peer = try BenchmarkPeer.initialized(binary: binary)
      peer.send(start)
      try peer.waitForFrames(3)  // the answer and execution.started: the run is busy
      let signalled = ContinuousClock.now
      kill(peer.process.processIdentifier, SIGTERM)
      peer.process.waitUntilExit()
      samples.append((ContinuousClock.now - signalled).seconds * 1000)
      // Counted once everything the engine wrote has been read, not as it exits.
      try peer.waitForEndOfOutput()
      if peer.process.terminationStatus == 0, peer.terminals == 1 { terminals += 1 }
    }
    samples.sort()
    return [
      Measurement(
        name: "SIGTERM to a busy engine → exit, median of \(repetitions)", value: samples[samples.count / 2], unit: "ms",
        target: "<= 1000 ms"),
      Measurement(name: "… worst", value: samples[samples.count - 1], unit: "ms", target: "<= 1000 ms"),
      Measurement(
        name: "… exits with code 0 after exactly one terminal notification", value: Double(terminals),
        unit: "of \(repetitions)", target: "all"),
    ]
  }
}

/// How fast a provider call attempt fails when nothing listens on the provider's port.
enum NetworkFailureBenchmarks {
  static func refusedAttempt(repetitions: Int) async throws -> [Measurement] {
    // A loopback port nothing listens on: bound, then released.
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    close(fd)
    let port = Int(UInt16(bigEndian: address.sin_port))
    let settings = ProviderSettings(apiKey: APIKey("sk-bench"), baseURL: "http://127.0.0.1:\(port)/v1", timeoutSeconds: 30)
    let clients = ProviderClients(
      configuration: ProviderConfiguration(settings: ["mistral": settings]), retry: RetryPolicy(maxAttempts: 1))
    guard let client = clients.client(for: "mistral") else { throw BenchmarkError("no client") }
    var samples: [Double] = []
    for _ in 0..<repetitions {
      let start = ContinuousClock.now
      do {
        _ = try await client.complete(ChatRequest(model: "m", messages: [.user("hi")]))
        throw BenchmarkError("a closed port answered")
      } catch {
        samples.append((ContinuousClock.now - start).seconds * 1000)
      }
    }
    samples.sort()
    return [
      Measurement(
        name: "a provider call attempt to a refused port fails after, median of \(repetitions)",
        value: samples[samples.count / 2], unit: "ms", target: "<= 100 ms"),
      Measurement(name: "… worst", value: samples[samples.count - 1], unit: "ms", target: "<= 100 ms"),
    ]
  }
}
