import FlowGraph
import FlowProviders
import JSON

extension NodeContext {
  /// The merged text input, which must not be empty.
  public func requiredText() throws(NodeError) -> String {
    let text = inputs.mergedText
    guard !text.isEmpty else {
      throw NodeError(.missingInput, "Node '\(node.id)' (\(node.type)) received no text from its inputs.")
    }
    return text
  }

  /// Resolves the node's model, sends `messages` to its provider (streaming deltas and
  /// reporting retries as the run's options say), and returns the trimmed reply with the model
  /// and usage. With the engine's cache and `options.cache` `use`, a reply stored under the
  /// same key (or a call with the same key already in flight) answers instead of a call of
  /// its own; `use` and `refresh` store what the call returns. `template` names the prompt
  /// template and its version (`translate@1`), part of the key.
  public func callProvider(_ messages: [ChatMessage], template: String = "", use: ModelResolver.Use = .chat)
    async throws -> NodeOutput
  {
    let choice = try ModelResolver.resolve(node: node, flowProviderID: flowProviderID, services: services, use: use)
    guard let client = services.clients.client(for: choice.providerID) else {
      throw NodeError(
        .providerNotConfigured, "\(choice.providerID): no client could be made; check its API key and base URL.",
        providerID: choice.providerID)
    }
    let request = ChatRequest(model: choice.model, messages: messages)
    let nodeID = node.id
    let emit = self.emit
    let deltas = options.stream ? DeltaCoalescer(nodeID: nodeID, emit: emit) : nil
    let meter = self.meter
    let onRetry: @Sendable (Int, String) -> Void = { attempt, reason in
      deltas?.flush()
      emit(.nodeStatus(nodeID: nodeID, status: .retrying, reason: reason, attempt: attempt))
    }
    var onDelta: (@Sendable (Int, String) -> Void)?
    if let deltas {
      onDelta = { attempt, text in deltas.add(attempt: attempt, text: text) }
    }
    // Echo costs nothing: budgets and quotas count real provider calls only.
    let gated =
      choice.providerID == ModelResolver.dryRunProvider
      ? nil
      : services.gate.map {
        $0.call(nodeID: nodeID, providerID: choice.providerID, estimate: request.estimatedTokens, emit: emit)
      }
    let observer = CallObserver(
      onAttempt: { _ in meter.recordCall() }, onRetry: onRetry, onDelta: onDelta,
      admit: Self.admission(gated))
    let call: @Sendable () async throws(ProviderError) -> ChatResponse = {
      try await client.complete(request, observer: observer)
    }

    var key: CacheKey?
    // `echo` answers offline and costs nothing: it is never cached (and dry runs stay dry runs).
    if let cache = services.cache, options.cache != .off, choice.providerID != "echo" {
      let cacheKey = CacheKey(
        nodeType: node.type, executorVersion: executorVersion, template: template, providerID: choice.providerID,
        request: request)
      key = cacheKey
      if options.cache == .use, let entry = await cache.lookup(cacheKey) {
        return Self.output(
          text: entry.text, choice: choice, usage: nil, cacheKey: cacheKey)
      }
    }
    let response: ChatResponse
    var shared = false
    do {
      if let cache = services.cache, let key {
        let (reply, source) = try await cache.shared(key, nodeType: node.type, stores: true, call: call)
        response = reply
        shared = source == .shared
      } else {
        response = try await call()
      }
      deltas?.flush()
    } catch let error as ProviderError {
      deltas?.flush()
      await gated?.finish(tokens: 0)
      try Task.checkCancellation()
      throw NodeError(
        NodeError.Code(rawValue: error.code) ?? .internalError, error.message, providerID: error.providerID,
        httpStatus: error.httpStatus, retryable: error.retryable)
    } catch {
      deltas?.flush()
      throw error
    }
    if shared, let key {
      // Another node's call answered this one: nothing of it is this node's spending.
      return Self.output(text: response.text, choice: choice, usage: nil, cacheKey: key)
    }
    // Usage is what the provider reported: none reported, none given (never invented zeros).
    let usage =
      response.reportsUsage
      ? TokenUsage(inputTokens: response.inputTokens ?? 0, outputTokens: response.outputTokens ?? 0) : nil
    await gated?.finish(tokens: usage.map { $0.inputTokens.addingReportingOverflow($0.outputTokens).partialValue })
    return NodeOutput(text: response.text.trimmingWhitespace(), model: choice, usage: usage)
  }

  /// An output answered without a call of this node's own.
  private static func output(text: String, choice: ModelChoice, usage: TokenUsage?, cacheKey: CacheKey) -> NodeOutput {
    var output = NodeOutput(text: text.trimmingWhitespace(), model: choice, usage: usage)
    output.cacheKey = cacheKey.hex
    return output
  }
}
