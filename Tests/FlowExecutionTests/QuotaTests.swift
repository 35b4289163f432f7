import FlowExecution
import FlowProviders
import Signals
import Testing

/// The quota counters and the run gate on their own, on a clock the test moves.
@Suite("Quotas and budgets")
struct QuotaTests {
  final class TestClock: Sendable {
    let now = Locked(1_700_000_000.0)
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
  }

  @Test("max_live_runs: at the limit the next run is refused; a released run frees a slot; keys are apart")
  func liveRuns() async throws {
    let ledger = LocalQuotaLedger()
    let first = try await ledger.acquireRun("a", max: 2)
    _ = try await ledger.acquireRun("a", max: 2)
    await #expect(throws: QuotaDenial(limit: "max_live_runs", max: 2)) { _ = try await ledger.acquireRun("a", max: 2) }
    _ = try await ledger.acquireRun("b", max: 2)
    await ledger.releaseRun("a", ticket: first)
    _ = try await ledger.acquireRun("a", max: 2)
    #expect(await ledger.usage("a").liveRuns == 2)
  }

  @Test("provider_calls_per_minute: a sliding window; the wait is until the oldest call leaves it")
  func callWindow() async {
    let clock = TestClock()
    let ledger = LocalQuotaLedger(clock: { clock.now.withLock { $0 } })
    func admit(_ key: String = "a") async -> CallAdmission {
      await ledger.admitCall(key, tokens: 0, perDay: nil, perMinute: 2)
    }
    #expect(await admit() == .admitted)
    clock.advance(10)
    #expect(await admit() == .admitted)
    clock.advance(5)
    #expect(await admit() == .wait(.seconds(45)))  // the first call leaves at 60 s
    #expect(await ledger.usage("a").callsLastMinute == 2)
    clock.advance(45)
    #expect(await admit() == .admitted)
    #expect(await admit("b") == .admitted)
  }

  @Test("tokens_per_day: reserved before, corrected after, refused past the limit, and a new UTC day starts at zero")
  func tokensPerDay() async throws {
    let clock = TestClock()
    let ledger = LocalQuotaLedger(clock: { clock.now.withLock { $0 } })
    func admit(_ tokens: Int) async -> CallAdmission {
      await ledger.admitCall("a", tokens: tokens, perDay: 100, perMinute: nil)
    }
    #expect(await admit(60) == .admitted)
    await ledger.adjustTokens("a", by: -20)  // it used 40
    #expect(await admit(60) == .admitted)  // exactly at the limit
    guard case .refused(let denial) = await admit(1) else {
      Issue.record("a reservation past the limit was accepted")
      return
    }
    #expect(denial.limit == "tokens_per_day" && denial.max == 100)
    #expect((denial.retryAfterMilliseconds ?? 0) > 0 && (denial.retryAfterMilliseconds ?? 0) <= 86_400_000)
    #expect(await ledger.usage("a").tokensToday == 100)
    clock.advance(86_400)
    #expect(await admit(90) == .admitted)
    #expect(await ledger.usage("a").tokensToday == 90)
  }

  @Test("budgets: calls and tokens are taken per attempt; the one past the budget is refused before any request")
  func budgets() async throws {
    let gate = RunGate(budget: RunBudget(maxProviderCalls: 2, maxTokens: 100), quotaKey: nil, limits: nil, ledger: nil)
    let first = gate.call(nodeID: "a", providerID: "mistral", estimate: 30, emit: { _ in })
    try await first.admit(1)
    try await first.admit(2)  // a retry counts as a call
    await #expect(throws: ProviderError.self) { try await first.admit(3) }
    let tokens = RunGate(budget: RunBudget(maxTokens: 100), quotaKey: nil, limits: nil, ledger: nil)
    let call = tokens.call(nodeID: "a", providerID: "mistral", estimate: 60, emit: { _ in })
    try await call.admit(1)
    await call.finish(tokens: 90)  // it used more than estimated
    do {
      try await tokens.call(nodeID: "b", providerID: "mistral", estimate: 20, emit: { _ in }).admit(1)
      Issue.record("a call past the token budget was admitted")
    } catch {
      #expect(error.code == "budget_exceeded" && error.message.contains("90 used"))
    }
  }

  @Test("a call waiting for its quota slot says so, and its cancel ends the wait at once")
  func waitingIsCancellable() async throws {
    let ledger = LocalQuotaLedger()
    let limits = QuotaLimits(providerCallsPerMinute: 1)
    let gate = RunGate(budget: RunBudget(), quotaKey: "k", limits: limits, ledger: ledger)
    let firstEvent = Latch<RunEvent>()
    try await gate.call(nodeID: "a", providerID: "mistral", estimate: 1, emit: { _ in }).admit(1)
    let second = gate.call(nodeID: "b", providerID: "mistral", estimate: 1) { event in _ = firstEvent.set(event) }
    let waiter = Task { try await second.admit(1) }
    let event = await firstEvent.wait()
    let begin = ContinuousClock.now
    waiter.cancel()
    await #expect(throws: ProviderError.self) { try await waiter.value }
    // The slot is a minute away; the cancel ends the wait long before (the bound leaves room
    // for a test process starved by the engines other tests run at the same time).
    #expect(ContinuousClock.now - begin < .seconds(10))
    guard case .nodeStatus(let nodeID, let status, let reason, _) = event else {
      Issue.record("no waiting status")
      return
    }
    #expect(nodeID == "b" && status == .waiting && reason == "quota")
  }
}
