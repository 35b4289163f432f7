import JSON

/// How each provider writes its answers: error bodies, response bodies and stream events, as
/// `providers.md` records them.
enum ProviderDialect {
  static func isAnthropic(_ provider: String) -> Bool { provider == "claude" }

  /// The provider's error body for a status.
  static func errorBody(provider: String, status: Int) -> String {
    switch provider {
    case "mistral":
      switch status {
      case 401: return #"{"message":"Unauthorized","request_id":"fake"}"#
      case 429: return #"{"message":"Requests rate limit exceeded"}"#
      case 400:
        return #"{"object":"error","message":"Invalid model: fake-model","type":"invalid_model","param":null,"code":"1500"}"#
      case 422:
        return
          #"{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","foo"],"msg":"Extra inputs are not permitted"}]},"type":"invalid_request_message_error","param":null,"code":null}"#
      default: return #"{"object":"error","message":"Service unavailable.","type":"internal_error","code":"\#(status)"}"#
      }
    case "glm":
      let code = status == 401 ? "1001" : status == 429 ? "1302" : status == 400 ? "1211" : "500"
      return #"{"error":{"code":"\#(code)","message":"模型不存在，请检查模型代码。"}}"#
    case "openrouter":
      return #"{"error":{"code":\#(status),"message":"Provider returned error","metadata":{"provider_name":"Fake"}}}"#
    case "huggingface":
      return status == 503
        ? #"{"error":"Model is currently loading","estimated_time":20.0}"# : #"{"error":{"message":"Bad request: fake"}}"#
    default:
      let type: String
      switch status {
      case 400: type = "invalid_request_error"
      case 401: type = "authentication_error"
      case 403: type = "permission_error"
      case 404: type = "not_found_error"
      case 413: type = "request_too_large"
      case 429: type = "rate_limit_error"
      case 529: type = "overloaded_error"
      default: type = "api_error"
      }
      return #"{"type":"error","error":{"type":"\#(type)","message":"Fake \#(type)"}}"#
    }
  }

  /// A complete response with `text`.
  static func completion(provider: String, model: String, text: String, usage: Bool = true) -> String {
    let words = text.split(separator: " ").count
    if isAnthropic(provider) {
      var object: JSONObject = [
        "id": "msg_fake", "type": "message", "role": "assistant", "model": .string(model),
        "content": [["type": "text", "text": .string(text)]], "stop_reason": "end_turn",
      ]
      if usage { object["usage"] = ["input_tokens": 12, "output_tokens": .int(words)] }
      return JSONValue.object(object).description
    }
    var object: JSONObject = [
      "id": "chatcmpl-fake", "object": "chat.completion", "model": .string(model),
      "choices": [["index": 0, "message": ["role": "assistant", "content": .string(text)], "finish_reason": "stop"]],
    ]
    if usage { object["usage"] = ["prompt_tokens": 12, "completion_tokens": .int(words), "total_tokens": .int(12 + words)] }
    return JSONValue.object(object).description
  }

  /// Stream events before the text (their SSE text).
  static func streamStart(provider: String, model: String, usage: Bool = true) -> [String] {
    if isAnthropic(provider) {
      let usageField = usage ? #","usage":{"input_tokens":12,"output_tokens":1}"# : ""
      return [
        event(
          "message_start",
          #"{"type":"message_start","message":{"id":"msg_fake","type":"message","role":"assistant","model":"\#(model)","content":[]\#(usageField)}}"#
        ),
        event("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        event("ping", #"{"type": "ping"}"#),
      ]
    }
    var start = [
      data(
        #"{"id":"chatcmpl-fake","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#
      )
    ]
    if provider == "openrouter" { start.insert(": OPENROUTER PROCESSING\n\n", at: 0) }
    return start
  }

  /// One text chunk.
  static func streamText(provider: String, _ text: String) -> String {
    if isAnthropic(provider) {
      return event(
        "content_block_delta",
        JSONValue.object(["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": .string(text)]])
          .description)
    }
    return data(
      JSONValue.object(["id": "chatcmpl-fake", "choices": [["index": 0, "delta": ["content": .string(text)]]]]).description)
  }

  /// Stream events after the text.
  /// Stream events after the text; usage only when `usage` is true.
  static func streamEnd(provider: String, outputTokens: Int, usage: Bool) -> [String] {
    if isAnthropic(provider) {
      let usageField = usage ? #","usage":{"output_tokens":\#(outputTokens)}"# : ""
      return [
        event("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
        event("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn"}\#(usageField)}"#),
        event("message_stop", #"{"type":"message_stop"}"#),
      ]
    }
    let usageField = usage ? #","usage":{"prompt_tokens":12,"completion_tokens":\#(outputTokens)}"# : ""
    return [
      data(#"{"id":"chatcmpl-fake","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]\#(usageField)}"#),
      "data: [DONE]\n\n",
    ]
  }

  /// Whether a streamed answer carries usage: Anthropic, Mistral and GLM always send it;
  /// OpenRouter and Hugging Face only when the request asks (`stream_options.include_usage`).
  static func streamsUsage(provider: String, request: JSONValue?) -> Bool {
    switch provider {
    case "openrouter", "huggingface": request?["stream_options"]?["include_usage"] == true
    default: true
    }
  }

  /// The provider's in-stream error.
  static func streamError(provider: String) -> String {
    if isAnthropic(provider) {
      return event("error", #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
    }
    return data(
      #"{"id":"chatcmpl-fake","error":{"code":502,"message":"Upstream provider error"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}"#
    )
  }

  static func event(_ name: String, _ json: String) -> String { "event: \(name)\ndata: \(json)\n\n" }
  // Without the optional space after the colon, as some providers send it.
  static func data(_ json: String) -> String { "data:\(json)\n\n" }
}
