import FlowImages

/// The offline `echo` provider, for dry runs, demos and users' own CI. It is not a model: it
/// answers every request deterministically from the request alone.
///
/// The reply is `[echo] ` followed by the last user message, with runs of white space folded to
/// one space, and, for each image the message carries, `[image: <type> <w>x<h>, sha256 <first 12
/// hex digits>]`. Images it generates are ``EchoPicture``s of the prompt. Token counts are word counts (input: all messages; output: the reply). The same
/// request always gets the same reply.
public struct EchoProvider: ChatProvider, ImageGenerating {
  public let id = "echo"

  /// The echo provider.
  public init() {}

  public func complete(_ request: ChatRequest, observer: CallObserver) async throws(ProviderError) -> ChatResponse {
    if Task.isCancelled {
      throw ProviderError(code: "provider_network_error", message: "echo: the call was cancelled.", providerID: id)
    }
    observer.onAttempt(1)
    let lastUserMessage = request.messages.last { $0.role == "user" }
    var reply = "[echo] " + Self.folded(lastUserMessage?.content ?? "")
    // Vision requests: each image described by what it is, so the reply changes with the pixels.
    for image in lastUserMessage?.images ?? [] {
      let header = try? ImageHeader.read(image.bytes)
      let size = header.map { " \($0.width)x\($0.height)" } ?? ""
      reply += " [image: \(image.mimeType)\(size), sha256 \(image.sha256.prefix(12))]"
    }
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

  public func generateImage(_ request: ImageGenerationRequest, observer: CallObserver) async throws(ProviderError)
    -> GeneratedImage
  {
    if Task.isCancelled {
      throw ProviderError(code: "provider_network_error", message: "echo: the call was cancelled.", providerID: id)
    }
    observer.onAttempt(1)
    do {
      let picture = try EchoPicture.png(prompt: request.prompt, width: request.width, height: request.height)
      return GeneratedImage(bytes: picture.bytes, contentType: picture.format.mimeType)
    } catch {
      throw ProviderError(code: "internal_error", message: "echo: \(error.message)", providerID: id)
    }
  }

  static func folded(_ text: String) -> String {
    text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
  }

  static func wordCount(_ text: String) -> Int {
    text.split(whereSeparator: { $0.isWhitespace }).count
  }
}
