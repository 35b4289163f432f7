import FlowProviders
import Signals

/// A run's spending limits (`options.budget`); a missing limit is no limit.
public struct RunBudget: Sendable, Hashable {
  /// Provider calls (every HTTP attempt, retries too) the run may make.
  public var maxProviderCalls: Int?
  /// Tokens (input and output) the run may use.
  public var maxTokens: Int?

  /// A budget with the given limits.
  public init(maxProviderCalls: Int? = nil, maxTokens: Int? = nil) {
    self.maxProviderCalls = maxProviderCalls
    self.maxTokens = maxTokens
  }
}

/// What stands between a run's nodes and the providers: the run's budget and its quota key's
/// limits. Every HTTP attempt asks first (``GatedCall/admit(_:)``); a refused attempt fails its
/// node before any request is sent.
public final class RunGate: Sendable {
  let budget: RunBudget
  let quotaKey: String
  let limits: QuotaLimits?
  let ledger: (any QuotaLedger)?
  /// Calls made and tokens used (or reserved by calls under way) by the run.
  private let spent = Locked<(calls: Int, tokens: Int)>((0, 0))

  /// A gate for a run with `budget`, counting against `quotaKey`'s `limits` in `ledger`.
  public init(budget: RunBudget, quotaKey: String?, limits: QuotaLimits?, ledger: (any QuotaLedger)?) {
    self.budget = budget
    self.quotaKey = quotaKey ?? ""
    self.limits = limits
    self.ledger = ledger
  }

  /// Whether the gate has anything to enforce.
  public var isOpen: Bool { budget.maxProviderCalls == nil && budget.maxTokens == nil && limits == nil }

  /// A gate for one provider call of `nodeID` expected to use about `estimate` tokens; `emit`
  /// reports waits.
  public func call(nodeID: String, providerID: String, estimate: Int, emit: @escaping @Sendable (RunEvent) -> Void)
    -> GatedCall
  {
    GatedCall(gate: self, nodeID: nodeID, providerID: providerID, estimate: estimate, emit: emit)
  }

  /// Takes one call and `estimate` tokens from the budget, or says why not.
  func spend(estimate: Int, providerID: String) throws(ProviderError) {
    let refusal = spent.withLock { spent -> String? in
      if let max = budget.maxProviderCalls, spent.calls + 1 > max {
        return "the run's budget of \(max) provider call\(max == 1 ? "" : "s") is spent (options.budget.max_provider_calls)"
      }
      if let max = budget.maxTokens, spent.tokens + estimate > max {
        return
          "this call would pass the run's budget of \(max) tokens: \(spent.tokens) used, about \(estimate) more for this call (options.budget.max_tokens)"
      }
      spent.calls += 1
      spent.tokens += estimate
      return nil
    }
    if let refusal { throw ProviderError(code: "budget_exceeded", message: "\(providerID): \(refusal).", providerID: providerID) }
  }

  /// Corrects the run's tokens by what a call used, less what it reserved.
  func adjust(by delta: Int) {
    spent.withLock { $0.tokens = max(0, $0.tokens + delta) }
  }
}

/// One provider call under a ``RunGate``: admits its attempts and settles its tokens.
public final class GatedCall: Sendable {
  private let gate: RunGate
  private let nodeID: String
  private let providerID: String
  private let estimate: Int
  private let emit: @Sendable (RunEvent) -> Void
  /// Tokens reserved by the attempts: from the budget, and from the quota's day.
  private let reserved = Locked<(budget: Int, quota: Int)>((0, 0))

  init(gate: RunGate, nodeID: String, providerID: String, estimate: Int, emit: @escaping @Sendable (RunEvent) -> Void) {
    self.gate = gate
    self.nodeID = nodeID
    self.providerID = providerID
    self.estimate = estimate
    self.emit = emit
  }

  /// Admits an attempt: the budget first (calls and tokens), then the quota's tokens for the
  /// day, then a slot in its calls-per-minute window, waiting for one (visible as `waiting`,
  /// `reason: "quota"`; cancellable at once).
  public func admit(_ attempt: Int) async throws(ProviderError) {
    try gate.spend(estimate: estimate, providerID: providerID)
    reserved.withLock { $0.budget += estimate }
    guard let limits = gate.limits, let ledger = gate.ledger,
      limits.tokensPerDay != nil || limits.providerCallsPerMinute != nil
    else { return }
    var waited = false
    while true {
      switch await ledger.admitCall(
        gate.quotaKey, tokens: estimate, perDay: limits.tokensPerDay, perMinute: limits.providerCallsPerMinute)
      {
      case .admitted:
        if limits.tokensPerDay != nil { reserved.withLock { $0.quota += estimate } }
        if waited { emit(.nodeStatus(nodeID: nodeID, status: .running, attempt: attempt)) }
        return
      case .refused(let denial):
        throw ProviderError(
          code: "quota_exceeded",
          message:
            "\(providerID): quota key '\(gate.quotaKey)' has used its \(denial.max) tokens for today (tokens_per_day); it starts again at 00:00 UTC\(Self.describe(denial.retryAfterMilliseconds)).",
          providerID: providerID)
      case .wait(let wait):
        if !waited {
          emit(.nodeStatus(nodeID: nodeID, status: .waiting, reason: "quota", attempt: attempt))
          waited = true
        }
        do {
          try await Task.sleep(for: min(wait, .seconds(1)))
        } catch {
          throw ProviderError(
            code: "provider_network_error", message: "\(providerID): cancelled while waiting for a quota slot.",
            providerID: providerID)
        }
      }
    }
  }

  /// Settles the call: `tokens` is what it used as the provider reported it (0 for a failed
  /// call); `nil` (not reported) keeps the estimates counted.
  public func finish(tokens: Int?) async {
    guard let tokens else { return }
    let (budget, quota) = reserved.withLock { $0 }
    gate.adjust(by: tokens - budget)
    if quota > 0, let ledger = gate.ledger { await ledger.adjustTokens(gate.quotaKey, by: tokens - quota) }
  }

  private static func describe(_ milliseconds: Int?) -> String {
    guard let milliseconds else { return "" }
    let minutes = milliseconds / 60_000
    return ", in \(minutes / 60) h \(minutes % 60) min"
  }
}

extension NodeContext {
  /// The observer's admission for a gated call (none without one).
  static func admission(_ call: GatedCall?) -> (@Sendable (Int) async throws(ProviderError) -> Void)? {
    guard let call else { return nil }
    return { (attempt: Int) async throws(ProviderError) -> Void in try await call.admit(attempt) }
  }
}

extension ChatRequest {
  /// About how many tokens the request's prompt holds (a quarter of its UTF-8 bytes, and 800
  /// for each image), for budgets and quotas before the provider says.
  public var estimatedTokens: Int {
    messages.reduce(0) { total, message in total + (message.content.utf8.count + 3) / 4 + message.images.count * 800 }
  }
}
