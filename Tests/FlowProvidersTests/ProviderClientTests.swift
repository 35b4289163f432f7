import FakeProvider
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Signals
import Testing

@testable import FlowProviders

/// Clients for every provider pointed at one fake server, with short retry delays.
struct Fixture {
  let server: FakeProviderServer
  let clients: ProviderClients

  static func make(timeout: Double = 10, idleTimeout: Double = 30) async throws -> Fixture {
    let server = try await FakeProviderServer.start()
    var settings: [String: ProviderSettings] = [:]
    for provider in ["mistral", "glm", "openrouter", "huggingface", "claude"] {
      settings[provider] = ProviderSettings(
        apiKey: APIKey("sk-test-\(provider)"), baseURL: server.baseURL(for: provider), timeoutSeconds: timeout)
    }
    let clients = ProviderClients(
      configuration: ProviderConfiguration(settings: settings), retry: RetryPolicy(baseDelay: 0.01),
      idleTimeout: idleTimeout)
    return Fixture(server: server, clients: clients)
  }

  struct NoClient: Error {}

  func client(_ provider: String) throws -> any ChatProvider {
    guard let client = clients.client(for: provider) else { throw NoClient() }
    return client
  }
}

let request = ChatRequest(model: "test-model", messages: [.system("Be brief."), .user("Say hello.")], temperature: 0.2)
let providers = ["mistral", "glm", "openrouter", "huggingface", "claude"]

/// Records what an observer hears.
final class Hearing: Sendable {
  let attempts = Locked<[Int]>([])
  let retries = Locked<[(Int, String)]>([])
  let deltas = Locked<[(Int, String)]>([])

  func observer(streaming: Bool) -> CallObserver {
    let onAttempt: @Sendable (Int) -> Void = { attempt in self.attempts.withLock { $0.append(attempt) } }
    let onRetry: @Sendable (Int, String) -> Void = { attempt, reason in self.retries.withLock { $0.append((attempt, reason)) } }
    let onDelta: @Sendable (Int, String) -> Void = { attempt, text in self.deltas.withLock { $0.append((attempt, text)) } }
    return CallObserver(onAttempt: onAttempt, onRetry: onRetry, onDelta: streaming ? onDelta : nil)
  }
}

@Suite("Provider clients over real HTTP against the fake provider")
struct ProviderClientTests {
  @Test("success: the exact request body and headers, the reply, usage", arguments: providers)
  func success(provider: String) async throws {
    let fixture = try await Fixture.make()
    fixture.server.script(provider, FakeBehavior(.reply("Hello there, friend.")))
    let response = try await fixture.client(provider).complete(request)
    #expect(response.text == "Hello there, friend.")
    #expect(response.outputTokens == 3)
    let recorded = try #require(fixture.server.requests.first)
    let body = try JSONParser.parse(recorded.body)
    if provider == "claude" {
      #expect(recorded.path == "/claude/v1/messages")
      #expect(recorded.header("x-api-key") == "sk-test-claude")
      #expect(recorded.header("anthropic-version") == "2023-06-01")
      #expect(body["system"] == "Be brief.")
      #expect(body["messages"] == [["role": "user", "content": "Say hello."]])
      #expect(body["max_tokens"] == 1024)
    } else {
      #expect(recorded.path == "/\(provider)/v1/chat/completions")
      #expect(recorded.header("authorization") == "Bearer sk-test-\(provider)")
      #expect(Set(body.objectValue?.keys ?? []) == ["model", "messages", "temperature", "stream"])
      #expect(body["messages"]?.arrayValue?.count == 2)
    }
    #expect(body["stream"] == false)
    #expect(body["model"] == "test-model")
    if provider == "openrouter" { #expect(recorded.header("x-title") == "flowrunner") }
    await fixture.server.stop()
  }

  @Test("streaming: deltas in order add up to the reply", arguments: providers)
  func streaming(provider: String) async throws {
    let fixture = try await Fixture.make()
    let text = "A streamed answer, in several small pieces, with ünïcode."
    fixture.server.script(provider, FakeBehavior(.reply(text), chunkDelayMilliseconds: 1, chunkSize: 5))
    let hearing = Hearing()
    let response = try await fixture.client(provider).complete(request, observer: hearing.observer(streaming: true))
    #expect(response.text == text)
    #expect(hearing.deltas.withLock { $0.map(\.1).joined() } == text)
    #expect(hearing.deltas.withLock { $0.count } > 5)
    #expect(try JSONParser.parse(fixture.server.requests[0].body)["stream"] == true)
    await fixture.server.stop()
  }

  @Test(
    "error statuses map to codes, with the status and a sentence from the provider's body",
    arguments: providers.flatMap { provider in [400, 401, 404, 422, 429, 500, 529].map { (provider, $0) } })
  func errors(provider: String, status: Int) async throws {
    let fixture = try await Fixture.make()
    let retryable = [429, 500, 529].contains(status)
    let attempts = retryable ? 4 : 1
    for _ in 0..<attempts { fixture.server.script(provider, FakeBehavior(.error(status: status))) }
    let hearing = Hearing()
    do {
      _ = try await fixture.client(provider).complete(request, observer: hearing.observer(streaming: false))
      Issue.record("expected an error")
    } catch let error as ProviderError {
      #expect(error.httpStatus == status)
      #expect(error.code == (status == 429 ? "provider_rate_limited" : "provider_http_error"))
      #expect(error.retryable == retryable)
      #expect(error.message.hasPrefix("\(provider): "))
      #expect(error.message.contains("HTTP \(status)"))
      #expect(!error.message.contains("sk-test"))
    }
    #expect(hearing.attempts.withLock { $0 } == Array(1...attempts))
    #expect(fixture.server.requests.count == attempts)
    #expect(hearing.retries.withLock { $0.map(\.0) } == (retryable ? [2, 3, 4] : []))
    await fixture.server.stop()
  }

  @Test("Retry-After is honoured, then the retry succeeds", arguments: providers)
  func retryAfter(provider: String) async throws {
    let fixture = try await Fixture.make()
    fixture.server.script(provider, FakeBehavior(.error(status: 429, retryAfter: "1")), FakeBehavior(.reply("ok now")))
    let start = ContinuousClock.now
    let response = try await fixture.client(provider).complete(request)
    #expect(response.text == "ok now")
    #expect(ContinuousClock.now - start >= .milliseconds(950))
    #expect(fixture.server.requests.count == 2)
    await fixture.server.stop()
  }

  @Test("malformed JSON, truncated streams and mid-stream errors", arguments: providers)
  func badAnswers(provider: String) async throws {
    let fixture = try await Fixture.make()
    let client = try fixture.client(provider)
    fixture.server.script(provider, FakeBehavior(.malformedJSON))
    await #expect(throws: ProviderError.self) { try await client.complete(request) }
    // A truncated stream is retried; here the retry succeeds.
    fixture.server.script(provider, FakeBehavior(.truncatedStream(chunks: 2)), FakeBehavior(.reply("complete")))
    let hearing = Hearing()
    let recovered = try await client.complete(request, observer: hearing.observer(streaming: true))
    #expect(recovered.text == "complete")
    #expect(hearing.retries.withLock { $0.count } == 1)
    #expect(hearing.deltas.withLock { $0.last?.0 } == 2)
    // An error inside a 200 stream (OpenRouter's 502 chunk, Anthropic's overloaded_error event)
    // is retryable: four of them in a row end the call with it.
    for _ in 0..<4 { fixture.server.script(provider, FakeBehavior(.midStreamError(chunks: 1))) }
    let midStream = Hearing()
    do {
      _ = try await client.complete(request, observer: midStream.observer(streaming: true))
      Issue.record("expected the in-stream error to end the call")
    } catch {
      #expect(error.message.hasPrefix("\(provider): "))
      #expect(error.retryable)
      #expect(error.code == "provider_http_error")
    }
    #expect(midStream.attempts.withLock { $0 } == [1, 2, 3, 4])
    await fixture.server.stop()
  }

  @Test("a stalled provider times out", arguments: providers)
  func timeout(provider: String) async throws {
    let fixture = try await Fixture.make(timeout: 0.3)
    fixture.server.script(provider, FakeBehavior(.stall))
    do {
      _ = try await fixture.client(provider).complete(request)
      Issue.record("expected a timeout")
    } catch let error as ProviderError {
      #expect(error.code == "provider_timeout")
    }
    await fixture.server.stop()
  }

  @Test("cancelling mid-stream closes the connection", arguments: providers)
  func cancel(provider: String) async throws {
    let fixture = try await Fixture.make()
    fixture.server.script(provider, FakeBehavior(.stall))
    let client = try fixture.client(provider)
    let task = Task {
      try await client.complete(request, observer: CallObserver(onDelta: { _, _ in }))
    }
    #expect(await fixture.server.wait { requests, _ in requests >= 1 })
    task.cancel()
    _ = await task.result
    #expect(await fixture.server.wait { _, disconnects in disconnects >= 1 })
    #expect(fixture.server.disconnects == 1)
    await fixture.server.stop()
  }
}
