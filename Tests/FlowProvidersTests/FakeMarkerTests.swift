import FakeProvider
import FlowRunnerTestSupport
import Foundation
import Signals
import Synchronization
import Testing

@testable import FlowProviders

@Suite("The fake provider scripted by markers in the request")
struct FakeMarkerTests {
  func call(_ model: String, provider: String = "mistral", fixture: Fixture) async throws -> Result<ChatResponse, ProviderError> {
    let client = try fixture.client(provider)
    let marked = ChatRequest(model: model, messages: [.user("Say hello.")])
    do throws(ProviderError) {
      return .success(try await client.complete(marked))
    } catch {
      return .failure(error)
    }
  }

  @Test("a status marker answers that status with the provider's body; not retried when final")
  func status() async throws {
    let fixture = try await Fixture.make()
    guard case .failure(let error) = try await call("fake-status=401", fixture: fixture) else {
      Issue.record("expected a failure")
      return
    }
    #expect(error.httpStatus == 401 && error.code == "provider_http_error")
    #expect(fixture.server.requests.count == 1)
    guard case .failure(let limited) = try await call("fake-status=429", provider: "claude", fixture: fixture) else {
      Issue.record("expected a failure")
      return
    }
    #expect(limited.code == "provider_rate_limited")
    #expect(fixture.server.requests.count == 5)  // 1 + the four attempts of the 429
    await fixture.server.stop()
  }

  @Test("malformed, latency and the plain reply")
  func others() async throws {
    let fixture = try await Fixture.make()
    if case .failure(let error) = try await call("fake-malformed", fixture: fixture) {
      #expect(error.code == "provider_bad_response")
    } else {
      Issue.record("expected a failure")
    }
    let slow = try await call("fake-latency-ms=30", fixture: fixture)
    #expect((try? slow.get().text) == "This is a fake reply from mistral.")
    await fixture.server.stop()
  }

  @Test("flowrunner-fake-provider serves on the port it prints, with the latency it was given")
  func tool() async throws {
    let binary = try ProcessPeer.binaryURL().deletingLastPathComponent().appendingPathComponent("flowrunner-fake-provider")
    let output = try makeCloseOnExecPipe()
    let process = try ChildProcess(
      executable: binary.path, arguments: ["--port", "0", "--latency-ms", "1", "--chunk-ms", "1"], environment: [:],
      standardInput: output[0], standardOutput: output[1], standardError: output[1])
    close(output[1])
    defer {
      process.send(signal: SIGTERM)
      close(output[0])
    }
    var printed = ""
    while !printed.contains("ANTHROPIC_BASE_URL") {
      let chunk = readChunk(output[0])
      if chunk.isEmpty { break }
      printed += String(decoding: chunk, as: UTF8.self)
    }
    let line = try #require(printed.split(separator: "\n").first { $0.contains("MISTRAL_BASE_URL=") })
    let url = try #require(line.split(separator: " ").first { $0.hasPrefix("MISTRAL_BASE_URL=") }?.dropFirst(17))
    #expect(printed.contains("export MISTRAL_API_KEY=fake"))
    let settings = ProviderSettings(apiKey: APIKey("fake"), baseURL: String(url), timeoutSeconds: 10)
    let clients = ProviderClients(configuration: ProviderConfiguration(settings: ["mistral": settings]))
    let reply = try await #require(clients.client(for: "mistral")).complete(ChatRequest(model: "m", messages: [.user("hi")]))
    #expect(reply.text == "This is a fake reply from mistral.")
  }

  @Test("flowrunner-fake-provider --help explains the markers and exits 0")
  func help() async throws {
    let binary = try ProcessPeer.binaryURL().deletingLastPathComponent().appendingPathComponent("flowrunner-fake-provider")
    let output = try makeCloseOnExecPipe()
    let process = try ChildProcess(
      executable: binary.path, arguments: ["--help"], environment: [:], standardInput: output[0],
      standardOutput: output[1], standardError: output[1])
    close(output[1])
    var bytes: [UInt8] = []
    while case let chunk = readChunk(output[0]), !chunk.isEmpty { bytes += chunk }
    close(output[0])
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(await process.waitForExit(timeout: .seconds(10)) == 0)
    for marker in ["--port", "--latency-ms", "--chunk-ms", "fake-status=NNN", "fake-stall"] {
      #expect(text.contains(marker), "help lacks \(marker)")
    }
  }

  func stream(_ model: String, provider: String, fixture: Fixture) async throws -> (ChatResponse, [String]) {
    let client = try fixture.client(provider)
    let hearing = Hearing()
    let response = try await client.complete(
      ChatRequest(model: model, messages: [.user("Say hello.")]), observer: hearing.observer(streaming: true))
    return (response, hearing.deltas.withLock { $0.map(\.1) })
  }

  @Test("streams ask for usage where the API takes the option, and report what the provider sent", arguments: providers)
  func streamedUsage(provider: String) async throws {
    let fixture = try await Fixture.make()
    let (response, _) = try await stream("m", provider: provider, fixture: fixture)
    #expect(response.reportsUsage, "\(provider) reported no usage for a stream")
    #expect((response.outputTokens ?? 0) > 0)
    let body = String(decoding: fixture.server.requests[0].body, as: UTF8.self)
    let asks = provider == "openrouter" || provider == "huggingface"
    #expect(body.contains(#""stream_options":{"include_usage":true}"#) == asks, "\(provider): \(body)")
    await fixture.server.stop()
  }

  @Test("a provider that reports no usage gives none, never zeros", arguments: providers)
  func noUsage(provider: String) async throws {
    let fixture = try await Fixture.make()
    let (streamed, _) = try await stream("fake-no-usage", provider: provider, fixture: fixture)
    #expect(!streamed.reportsUsage)
    let plain = try await call("fake-no-usage", provider: provider, fixture: fixture).get()
    #expect(!plain.reportsUsage && plain.inputTokens == nil && plain.outputTokens == nil)
    await fixture.server.stop()
  }

  @Test("the body is read by its content type: a whole JSON body to a stream, events to a plain request", arguments: providers)
  func contentType(provider: String) async throws {
    let fixture = try await Fixture.make()
    let (whole, deltas) = try await stream("fake-whole-body", provider: provider, fixture: fixture)
    #expect(whole.text == "This is a fake reply from \(provider).")
    #expect(deltas == [whole.text], "the whole answer shows as one delta")
    let events = try await call("fake-sse-body", provider: provider, fixture: fixture).get()
    #expect(events.text == "This is a fake reply from \(provider).")
    #expect(fixture.server.requests.count == 2, "no retries: both answers were good")
    await fixture.server.stop()
  }
}

@Suite("Network failures fail an attempt at once, in one clean sentence")
struct NetworkFailureTests {
  /// A port on loopback that refuses connections: bound by a socket that never listens, and
  /// kept bound (the socket is returned to be closed by the caller) so that no other test's
  /// server can take the port meanwhile.
  static func closedPort() throws -> (port: Int, socket: Int32) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    try withUnsafeMutablePointer(to: &address) { pointer in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
        guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else {
          close(fd)
          throw Fixture.NoClient()
        }
      }
    }
    return (Int(UInt16(bigEndian: address.sin_port)), fd)
  }

  @Test("connection refused: every attempt fails fast, retried on the documented schedule, one clean sentence")
  func refused() async throws {
    let (port, socket) = try Self.closedPort()
    defer { close(socket) }
    let settings = ProviderSettings(apiKey: APIKey("sk-refused"), baseURL: "http://127.0.0.1:\(port)/v1", timeoutSeconds: 30)
    let clients = ProviderClients(
      configuration: ProviderConfiguration(settings: ["mistral": settings]), retry: RetryPolicy(baseDelay: 0.01))
    let client = try #require(clients.client(for: "mistral"))
    let hearing = Hearing()
    let clock = ContinuousClock()
    let start = clock.now
    do {
      _ = try await client.complete(request, observer: hearing.observer(streaming: false))
      Issue.record("a closed port answered")
    } catch {
      #expect(error.code == "provider_network_error" && error.retryable)
      #expect(error.message == "mistral: network error: connection refused.")
    }
    // Four attempts that each wait out a connect timeout would take 40 s; this is a hang bound
    // (the per-attempt figure is measured by the benchmarks).
    #expect(clock.now - start < .seconds(20))
    #expect(hearing.attempts.withLock { $0 } == [1, 2, 3, 4])
  }
}

/// One read of up to 64 KiB; empty at the end of input.
private func readChunk(_ fd: Int32) -> [UInt8] {
  var buffer = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if count < 0 && errno == EINTR { continue }
    return Array(buffer.prefix(max(count, 0)))
  }
}
