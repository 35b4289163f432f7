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
  /// and usage.
  public func callProvider(_ messages: [ChatMessage]) async throws -> NodeOutput {
    let choice = try ModelResolver.resolve(node: node, flowProviderID: flowProviderID, services: services)
    guard let client = services.clients.client(for: choice.providerID) else {
      throw NodeError(
        .providerNotConfigured, "\(choice.providerID): no client could be made; check its API key and base URL.",
        providerID: choice.providerID)
    }
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
    let observer = CallObserver(onAttempt: { _ in meter.recordCall() }, onRetry: onRetry, onDelta: onDelta)
    let response: ChatResponse
    do throws(ProviderError) {
      response = try await client.complete(ChatRequest(model: choice.model, messages: messages), observer: observer)
      deltas?.flush()
    } catch {
      deltas?.flush()
      try Task.checkCancellation()
      throw NodeError(
        NodeError.Code(rawValue: error.code) ?? .internalError, error.message, providerID: error.providerID,
        httpStatus: error.httpStatus, retryable: error.retryable)
    }
    // Usage is what the provider reported: none reported, none given (never invented zeros).
    let usage =
      response.reportsUsage
      ? TokenUsage(inputTokens: response.inputTokens ?? 0, outputTokens: response.outputTokens ?? 0) : nil
    return NodeOutput(text: response.text.trimmingWhitespace(), model: choice, usage: usage)
  }
}
