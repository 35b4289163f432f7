import FakeProvider
import Foundation
import NIOHTTP1
import Signals
import Synchronization
import Testing

@testable import FlowProviders

@Suite("Resilience: resets, idle streams, limits")
struct ResilienceTests {
  @Test("a reset connection is a retryable network error; the retry succeeds")
  func reset() async throws {
    let fixture = try await Fixture.make()
    fixture.server.script("glm", FakeBehavior(.reset), FakeBehavior(.reply("after reset")))
    let hearing = Hearing()
    let response = try await fixture.client("glm").complete(request, observer: hearing.observer(streaming: false))
    #expect(response.text == "after reset")
    #expect(hearing.retries.withLock { $0.first?.1.contains("network error") } == true)
    await fixture.server.stop()
  }

  @Test("a stream that goes quiet fails with provider_timeout after the idle timeout")
  func idleStream() async throws {
    let fixture = try await Fixture.make(timeout: 30, idleTimeout: 0.3)
    fixture.server.script("claude", FakeBehavior(.stall))
    do {
      _ = try await fixture.client("claude").complete(request, observer: CallObserver(onDelta: { _, _ in }))
      Issue.record("expected a timeout")
    } catch let error as ProviderError {
      #expect(error.code == "provider_timeout")
      #expect(error.message.contains("sent nothing"))
    }
    await fixture.server.stop()
  }

  @Test("a plain request that takes longer than the idle timeout to answer is not cut off", arguments: ["mistral", "claude"])
  func slowWholeAnswer(provider: String) async throws {
    // The idle timeout leaves a loaded machine room between a reply's head and its body (the
    // suite runs dozens of engines at once on two cores); the answer still comes well after it.
    let fixture = try await Fixture.make(timeout: 30, idleTimeout: 1)
    fixture.server.script(provider, FakeBehavior(.reply("took a while"), latencyMilliseconds: 2500))
    let response = try await fixture.client(provider).complete(request)
    #expect(response.text == "took a while")
    #expect(fixture.server.requests.count == 1)
    // A stream that has not begun yet is not idle either: only the whole-request timeout runs.
    fixture.server.script(provider, FakeBehavior(.reply("slow to start"), latencyMilliseconds: 2500))
    let streamed = try await fixture.client(provider).complete(request, observer: CallObserver(onDelta: { _, _ in }))
    #expect(streamed.text == "slow to start")
    await fixture.server.stop()
  }

  @Test("max_concurrency caps a provider's requests in flight")
  func concurrencyCap() async throws {
    let server = try await FakeProviderServer.start()
    let clients = ProviderClients(
      configuration: ProviderConfiguration(settings: [
        "mistral": ProviderSettings(apiKey: APIKey("k"), baseURL: server.baseURL(for: "mistral"), maxConcurrency: 2)
      ]))
    let client = try #require(clients.client(for: "mistral"))
    for _ in 0..<6 { server.script("mistral", FakeBehavior(.reply("ok"), latencyMilliseconds: 60)) }
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<6 { group.addTask { _ = try await client.complete(request) } }
      try await group.waitForAll()
    }
    #expect(server.peakConcurrentRequests == 2)
    #expect(server.requests.count == 6)
    await server.stop()
  }

  @Test("requests_per_minute spaces requests over the window; waiting is cancellable")
  func rateWindow() async throws {
    let limiter = RequestLimiter(maxConcurrency: 8, requestsPerMinute: 2, window: 0.3)
    let start = ContinuousClock.now
    for _ in 0..<3 { try await limiter.run {} }
    #expect(ContinuousClock.now - start >= .milliseconds(290))
    let slow = RequestLimiter(maxConcurrency: 1, requestsPerMinute: 1, window: 30)
    try await slow.run {}
    let waiting = Task { try await slow.run {} }
    await slow.untilARequestWaits()
    waiting.cancel()
    await #expect(throws: CancellationError.self) { try await waiting.value }
  }

  @Test("Retry-After as seconds or an HTTP date, and reset headers, capped at 60 s")
  func retryDelays() {
    let policy = RetryPolicy()
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var headers = HTTPHeadersBuilder()
    #expect(policy.delay(afterAttempt: 1, headers: headers.with("retry-after", "7"), now: now) == 7)
    #expect(policy.delay(afterAttempt: 1, headers: headers.with("retry-after", "600"), now: now) == 60)
    let date = "Fri, 15 Jan 2027 08:00:10 GMT"
    let dateNow = RetryPolicy.httpDate("Fri, 15 Jan 2027 08:00:00 GMT")!
    #expect(policy.delay(afterAttempt: 1, headers: headers.with("retry-after", date), now: dateNow) == 10)
    #expect(
      policy.delay(
        afterAttempt: 1, headers: headers.with("anthropic-ratelimit-requests-reset", "2027-01-15T08:00:03Z"), now: dateNow)
        == 3)
    let backoff = policy.delay(afterAttempt: 3, headers: nil, now: now)
    #expect(backoff >= 1 && backoff <= 2)
  }

  @Test(
    "a delay the provider asks for that is not a finite number falls back to backoff",
    arguments: [
      ("retry-after", "nan"), ("retry-after", "NaN"), ("retry-after", "-nan"), ("retry-after", "inf"),
      ("retry-after", "-infinity"), ("retry-after", "1e400"), ("x-ratelimit-reset", "nan"),
      ("x-ratelimit-reset", "inf"), ("x-ratelimit-reset", "-1e400"),
    ])
  func nonFiniteDelays(header: String, value: String) {
    let policy = RetryPolicy()
    var headers = HTTPHeadersBuilder()
    let delay = policy.delay(afterAttempt: 1, headers: headers.with(header, value), now: Date())
    #expect(delay.isFinite && delay >= 0.25 && delay <= 0.5, "\(header): \(value) gave \(delay)")
  }
}

struct HTTPHeadersBuilder {
  mutating func with(_ name: String, _ value: String) -> HTTPHeaders { HTTPHeaders([(name, value)]) }
}
