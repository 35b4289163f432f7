import Foundation
import JSON

/// How a provider's requests and responses are shaped.
enum WireFormat: Sendable {
  case openAICompatible
  case anthropic

  /// The endpoint for a base URL.
  func endpoint(base: String) -> String {
    switch self {
    case .openAICompatible: base + "/chat/completions"
    case .anthropic: base + "/v1/messages"
    }
  }

  /// The request body. Only the documented fields are sent: Mistral answers 422 to anything else.
  func body(_ request: ChatRequest, stream: Bool, askForUsage: Bool = false) -> [UInt8] {
    var object: JSONObject = ["model": .string(request.model)]
    switch self {
    case .openAICompatible:
      object["messages"] = .array(
        request.messages.map { ["role": .string($0.role), "content": Self.openAIContent($0)] })
      if let temperature = request.temperature { object["temperature"] = .double(temperature) }
      if let maxTokens = request.maxTokens { object["max_tokens"] = .int(maxTokens) }
    case .anthropic:
      object["max_tokens"] = .int(request.maxTokens ?? 1024)
      let system = request.messages.filter { $0.role == "system" }.map(\.content)
      if !system.isEmpty { object["system"] = .string(system.joined(separator: "\n\n")) }
      object["messages"] = .array(
        request.messages.filter { $0.role != "system" }.map {
          ["role": .string($0.role == "assistant" ? "assistant" : "user"), "content": Self.anthropicContent($0)]
        })
      if let temperature = request.temperature { object["temperature"] = .double(min(max(temperature, 0), 1)) }
    }
    object["stream"] = .bool(stream)
    if stream, askForUsage, case .openAICompatible = self { object["stream_options"] = ["include_usage": true] }
    return JSONSerializer.serialize(.object(object))
  }

  /// A message's content for OpenAI-compatible APIs: the text, or, with images, content parts
  /// (the text, then each image as a `data:` URL).
  static func openAIContent(_ message: ChatMessage) -> JSONValue {
    guard !message.images.isEmpty else { return .string(message.content) }
    var parts: [JSONValue] = [["type": "text", "text": .string(message.content)]]
    for image in message.images {
      let url = "data:\(image.mimeType);base64,\(Data(image.bytes).base64EncodedString())"
      parts.append(["type": "image_url", "image_url": ["url": .string(url)]])
    }
    return .array(parts)
  }

  /// A message's content for the Anthropic API: the text, or, with images, image blocks
  /// before the text block.
  static func anthropicContent(_ message: ChatMessage) -> JSONValue {
    guard !message.images.isEmpty else { return .string(message.content) }
    var blocks: [JSONValue] = message.images.map { image in
      [
        "type": "image",
        "source": [
          "type": "base64", "media_type": .string(image.mimeType),
          "data": .string(Data(image.bytes).base64EncodedString()),
        ],
      ]
    }
    blocks.append(["type": "text", "text": .string(message.content)])
    return .array(blocks)
  }

  /// A complete (non-streamed) response body.
  func parseResponse(_ json: JSONValue, providerID: String) throws(ProviderError) -> ChatResponse {
    if let error = ProviderErrorMapping.embeddedError(providerID: providerID, json: json) { throw error }
    switch self {
    case .openAICompatible:
      guard let choice = json["choices"]?.arrayValue?.first else {
        throw ProviderError(
          code: "provider_bad_response", message: "\(providerID): the response has no choices.", providerID: providerID)
      }
      let text = choice["message"]?["content"]?.stringValue ?? ""
      return ChatResponse(
        text: text, finishReason: choice["finish_reason"]?.stringValue,
        inputTokens: json["usage"]?["prompt_tokens"].tokenCount, outputTokens: json["usage"]?["completion_tokens"].tokenCount)
    case .anthropic:
      guard let content = json["content"]?.arrayValue else {
        throw ProviderError(
          code: "provider_bad_response", message: "\(providerID): the response has no content.", providerID: providerID)
      }
      let text = content.filter { $0["type"] == "text" }.compactMap { $0["text"]?.stringValue }.joined()
      return ChatResponse(
        text: text, finishReason: json["stop_reason"]?.stringValue,
        inputTokens: json["usage"]?["input_tokens"].tokenCount, outputTokens: json["usage"]?["output_tokens"].tokenCount)
    }
  }
}

/// The state of one streamed response.
struct StreamAccumulator: Sendable {
  var text = ""
  var finishReason: String?
  var inputTokens: Int?
  var outputTokens: Int?
  var ended = false

  /// Applies one event; returns new text to report, throws for an error inside the stream.
  mutating func apply(_ event: ServerSentEvent, format: WireFormat, providerID: String) throws(ProviderError) -> String? {
    switch format {
    case .openAICompatible:
      if event.data.trimmingWhitespace() == "[DONE]" {
        ended = true
        return nil
      }
      let json = try parse(event.data, providerID: providerID)
      if let error = ProviderErrorMapping.embeddedError(providerID: providerID, json: json) { throw error }
      if let usage = json["usage"], !usage.isNull {
        inputTokens = usage["prompt_tokens"].tokenCount ?? inputTokens
        outputTokens = usage["completion_tokens"].tokenCount ?? outputTokens
      }
      guard let choice = json["choices"]?.arrayValue?.first else { return nil }
      if let reason = choice["finish_reason"]?.stringValue { finishReason = reason }
      guard let piece = choice["delta"]?["content"]?.stringValue, !piece.isEmpty else { return nil }
      text += piece
      return piece
    case .anthropic:
      let json = try parse(event.data, providerID: providerID)
      switch event.event ?? json["type"]?.stringValue {
      case "message_start":
        inputTokens = json["message"]?["usage"]?["input_tokens"].tokenCount ?? inputTokens
        outputTokens = json["message"]?["usage"]?["output_tokens"].tokenCount ?? outputTokens
      case "content_block_delta":
        guard json["delta"]?["type"] == "text_delta", let piece = json["delta"]?["text"]?.stringValue else { return nil }
        text += piece
        return piece
      case "message_delta":
        finishReason = json["delta"]?["stop_reason"]?.stringValue ?? finishReason
        outputTokens = json["usage"]?["output_tokens"].tokenCount ?? outputTokens
      case "message_stop":
        ended = true
      case "error":
        throw ProviderErrorMapping.embeddedError(providerID: providerID, json: json)
          ?? ProviderError(
            code: "provider_bad_response", message: "\(providerID): an error event arrived.", providerID: providerID)
      default:
        break  // ping, content_block_start, content_block_stop
      }
      return nil
    }
  }

  private func parse(_ data: String, providerID: String) throws(ProviderError) -> JSONValue {
    do {
      return try JSONParser.parse(data)
    } catch {
      throw ProviderError(
        code: "provider_bad_response", message: "\(providerID): a stream event is not valid JSON (\(error)).",
        providerID: providerID)
    }
  }

  var response: ChatResponse {
    ChatResponse(text: text, finishReason: finishReason, inputTokens: inputTokens, outputTokens: outputTokens)
  }
}

extension JSONValue? {
  /// A token count as a provider reports it: a whole number from 0 to 2^40. Anything else (a
  /// negative count, a fraction, a number no model could produce) counts as not reported, so
  /// a hostile or broken peer cannot overflow a run's totals.
  var tokenCount: Int? {
    guard let count = self?.intValue, (0...(1 << 40)).contains(count) else { return nil }
    return count
  }
}
