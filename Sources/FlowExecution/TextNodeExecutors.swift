import FlowGraph
import FlowProviders
import JSONRPC

/// The executors of the nodes that call a text provider through a prompt template.
public enum TextNodeExecutors {
  /// By node type.
  public static let all: [String: NodeExecutor] = [
    "promptEnhancer": { context in
      try await call(PromptTemplates.enhance(try input(context), notes: context.node.data["notes"]?.stringValue), context)
    },
    "translator": { context in
      let code = try context.requiredString("language")
      guard let language = Languages.name(of: code) else {
        throw NodeError(.invalidData, "Node '\(context.node.id)': '\(code)' is not a supported language code.")
      }
      return try await call(PromptTemplates.translate(try input(context), languageName: language), context)
    },
    "storyTeller": { context in
      let tags = context.node.data["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
      return try await call(PromptTemplates.storyteller(try input(context), tags: tags), context)
    },
    "grammarFix": { context in
      try await call(PromptTemplates.grammarFix(try input(context), style: context.node.data["style"]?.stringValue), context)
    },
    "compressor": { context in
      try await call(PromptTemplates.compress(try input(context)), context)
    },
    "personasReplacer": { context in
      guard !context.inputs.personas.isEmpty else {
        throw NodeError(.missingInput, "Node '\(context.node.id)' (personasReplacer) received no personas.")
      }
      return try await call(PromptTemplates.replace(try input(context), personas: context.inputs.personas), context)
    },
    "initialPrompt": { context in
      let text = try context.requiredString("text")
      // Without personas the prompt is used as is; with them it goes through inject_persona.
      guard !context.inputs.personas.isEmpty else { return NodeOutput(text: text) }
      return try await call(PromptTemplates.injectPersona(context.inputs.personas, prompt: text), context)
    },
  ]

  /// The merged text input, which must not be empty.
  static func input(_ context: NodeContext) throws(NodeError) -> String {
    let text = context.inputs.mergedText
    guard !text.isEmpty else {
      throw NodeError(.missingInput, "Node '\(context.node.id)' (\(context.node.type)) received no text from its inputs.")
    }
    return text
  }

  /// Resolves the model, calls the provider, and returns the trimmed reply with model and usage.
  static func call(_ template: PromptTemplate, _ context: NodeContext) async throws -> NodeOutput {
    let choice = try ModelResolver.resolve(
      node: context.node, flowProviderID: context.flowProviderID, services: context.services)
    guard let client = context.services.clients.client(for: choice.providerID) else {
      throw NodeError(
        .providerNotConfigured, "\(choice.providerID): no client could be made; check its API key and base URL.",
        providerID: choice.providerID)
    }
    let nodeID = context.node.id
    let emit = context.emit
    let deltas = context.options.stream ? DeltaCoalescer(nodeID: nodeID, emit: emit) : nil
    let meter = context.meter
    let onAttempt: @Sendable (Int) -> Void = { _ in meter.recordCall() }
    let onRetry: @Sendable (Int, String) -> Void = { attempt, reason in
      deltas?.flush()
      emit(.nodeStatus(nodeID: nodeID, status: .retrying, reason: reason, attempt: attempt))
    }
    var onDelta: (@Sendable (Int, String) -> Void)? = nil
    if let deltas {
      onDelta = { attempt, text in deltas.add(attempt: attempt, text: text) }
    }
    let observer = CallObserver(onAttempt: onAttempt, onRetry: onRetry, onDelta: onDelta)
    let response: ChatResponse
    let request = ChatRequest(model: choice.model, messages: template.messages)
    do throws(ProviderError) {
      response = try await client.complete(request, observer: observer)
      deltas?.flush()
    } catch {
      deltas?.flush()
      try Task.checkCancellation()
      throw NodeError(
        NodeError.Code(rawValue: error.code) ?? .internalError, error.message, providerID: error.providerID,
        httpStatus: error.httpStatus, retryable: error.retryable)
    }
    return NodeOutput(
      text: response.text.trimmingCharacters(),
      model: choice,
      usage: TokenUsage(inputTokens: response.inputTokens, outputTokens: response.outputTokens))
  }
}

extension String {
  func trimmingCharacters() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
    var trimmed = String.UnicodeScalarView()
    trimmed.append(contentsOf: scalars[first...last])
    return String(trimmed)
  }
}
