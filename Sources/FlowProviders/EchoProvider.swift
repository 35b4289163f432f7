/// The offline `echo` provider, for dry runs, demos and users' own CI. It is not a model: it
/// answers every request deterministically from the request alone.
///
/// The reply is `[echo] ` followed by the last user message, with runs of white space folded to
/// one space. Token counts are word counts (input: all messages; output: the reply). The same
/// request always gets the same reply.
public struct EchoProvider: ChatProvider {
  public let id = "echo"

  /// The echo provider.
  public init() {}

  public func complete(_ request: ChatRequest, observer: CallObserver) async throws(ProviderError) -> ChatResponse {
    if Task.isCancelled {
      throw ProviderError(code: "provider_network_error", message: "echo: the call was cancelled.", providerID: id)
    }
    observer.onAttempt(1)
    let lastUser = request.messages.last { $0.role == "user" }?.content ?? ""
    let reply = "[echo] " + Self.folded(lastUser)
    if let onDelta = observer.onDelta {
      // Streams word by word, so streaming can be tried offline too.
      var start = reply.startIndex
      while start < reply.endIndex {
        let end = reply[reply.index(after: start)...].firstIndex(of: " ") ?? reply.endIndex
        onDelta(1, String(reply[start..<end]))
        start = end
      }
    }
    let input = request.messages.reduce(0) { $0 + Self.wordCount($1.content) }
    return ChatResponse(text: reply, finishReason: "stop", inputTokens: input, outputTokens: Self.wordCount(reply))
  }

  static func folded(_ text: String) -> String {
    text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
  }

  static func wordCount(_ text: String) -> Int {
    text.split(whereSeparator: { $0.isWhitespace }).count
  }
}
