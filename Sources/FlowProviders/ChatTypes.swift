/// An image sent with a message to a vision model: already prepared (scaled, re-encoded).
public struct ChatImage: Sendable, Hashable {
  /// `image/jpeg`, `image/png`, `image/gif` or `image/webp`.
  public var mimeType: String
  /// The encoded bytes.
  public var bytes: [UInt8]
  /// The SHA-256 of the bytes (what a cache key holds instead of them).
  public var sha256: String

  /// An image.
  public init(mimeType: String, bytes: [UInt8], sha256: String) {
    self.mimeType = mimeType
    self.bytes = bytes
    self.sha256 = sha256
  }
}

/// One chat message in OpenAI form.
public struct ChatMessage: Sendable, Hashable {
  /// `system`, `user` or `assistant`.
  public var role: String
  /// The text.
  public var content: String
  /// Images sent with the text (user messages to vision models).
  public var images: [ChatImage]

  /// A message.
  public init(role: String, content: String, images: [ChatImage] = []) {
    self.role = role
    self.content = content
    self.images = images
  }

  /// A system message.
  public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
  /// A user message.
  public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
}

/// A chat completion request, provider-neutral.
public struct ChatRequest: Sendable, Hashable {
  /// The model id.
  public var model: String
  /// The messages, system first.
  public var messages: [ChatMessage]
  /// Sampling temperature.
  public var temperature: Double?
  /// The most tokens to generate.
  public var maxTokens: Int?

  /// A request.
  public init(model: String, messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int? = nil) {
    self.model = model
    self.messages = messages
    self.temperature = temperature
    self.maxTokens = maxTokens
  }
}

/// A chat completion.
public struct ChatResponse: Sendable, Hashable {
  /// The reply's text.
  public var text: String
  /// Why generation stopped (`stop`, `length`, ...).
  public var finishReason: String?
  /// Prompt tokens, when the provider reported them.
  public var inputTokens: Int?
  /// Completion tokens, when the provider reported them.
  public var outputTokens: Int?

  /// Whether the provider reported any usage.
  public var reportsUsage: Bool { inputTokens != nil || outputTokens != nil }

  /// A response.
  public init(text: String, finishReason: String? = nil, inputTokens: Int? = nil, outputTokens: Int? = nil) {
    self.text = text
    self.finishReason = finishReason
    self.inputTokens = inputTokens
    self.outputTokens = outputTokens
  }
}

/// Why a provider call failed, in the terms of the protocol's node error codes.
public struct ProviderError: Error, Sendable, Hashable {
  /// The protocol's node error code (`provider_http_error`, `provider_timeout`, ...).
  public var code: String
  /// One sentence a person can act on; never contains a key.
  public var message: String
  /// The provider.
  public var providerID: String
  /// The HTTP status, if there was one.
  public var httpStatus: Int?
  /// Whether trying again may succeed.
  public var retryable: Bool

  /// A provider error.
  public init(code: String, message: String, providerID: String, httpStatus: Int? = nil, retryable: Bool = false) {
    self.code = code
    self.message = message
    self.providerID = providerID
    self.httpStatus = httpStatus
    self.retryable = retryable
  }
}

/// What a caller wants to hear about while a call runs.
public struct CallObserver: Sendable {
  /// An HTTP attempt is about to be made (1 for the first); every attempt counts as a provider call.
  public var onAttempt: @Sendable (Int) -> Void
  /// Attempt `attempt` is about to start after a failure described by `reason`.
  public var onRetry: @Sendable (_ attempt: Int, _ reason: String) -> Void
  /// Streamed text of an attempt; when set, the call streams. A new attempt restarts the text.
  public var onDelta: (@Sendable (_ attempt: Int, _ text: String) -> Void)?
  /// Asked before every HTTP attempt (retries too): it may wait (a rate quota) or refuse with
  /// an error that ends the call without a retry (a budget or quota spent).
  public var admit: (@Sendable (_ attempt: Int) async throws(ProviderError) -> Void)?

  /// An observer; by default it hears nothing and the call does not stream.
  public init(
    onAttempt: @escaping @Sendable (Int) -> Void = { _ in }, onRetry: @escaping @Sendable (Int, String) -> Void = { _, _ in },
    onDelta: (@Sendable (Int, String) -> Void)? = nil,
    admit: (@Sendable (Int) async throws(ProviderError) -> Void)? = nil
  ) {
    self.admit = admit
    self.onAttempt = onAttempt
    self.onRetry = onRetry
    self.onDelta = onDelta
  }
}

/// Something that answers chat requests: a provider client.
public protocol ChatProvider: Sendable {
  /// The provider id.
  var id: String { get }
  /// Answers one request, retrying where the provider's answer allows it. Cancellation of the
  /// calling Task cancels the call and tears its connection down.
  func complete(_ request: ChatRequest, observer: CallObserver) async throws(ProviderError) -> ChatResponse
}

extension ChatProvider {
  /// Answers one request without streaming.
  public func complete(_ request: ChatRequest) async throws(ProviderError) -> ChatResponse {
    try await complete(request, observer: CallObserver())
  }
}
