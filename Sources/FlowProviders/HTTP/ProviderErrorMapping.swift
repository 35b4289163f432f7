import JSON

/// Turns a provider's error answer into a ``ProviderError``: the protocol's code, whether it is
/// worth retrying, and one sentence built from whatever shape the provider's error body has
/// (`{"error":{"message"}}`, Mistral's unwrapped `{"message": …}` whose message may be an
/// object, `{"error":"text"}`, Anthropic's `{"type":"error","error":{…}}`, FastAPI's `detail`).
enum ProviderErrorMapping {
  static func error(providerID: String, status: Int, body: [UInt8]) -> ProviderError {
    let detail = detailText(body)
    let (code, retryable) = classify(status)
    let summary: String
    switch status {
    case 400: summary = "the request was rejected"
    case 401: summary = "authentication failed; check the API key"
    case 402: summary = "payment required (credits exhausted)"
    case 403: summary = "access denied"
    case 404: summary = "not found (check the model id)"
    case 408: summary = "the provider timed out"
    case 413: summary = "the request is too large"
    case 422: summary = "the request was not accepted"
    case 429: summary = "rate limited"
    case 529: summary = "overloaded"
    case 500...599: summary = "server error"
    default: summary = "unexpected answer"
    }
    let message = "\(providerID): \(summary) (HTTP \(status))" + (detail.map { ": \($0)" } ?? "") + "."
    return ProviderError(code: code, message: message, providerID: providerID, httpStatus: status, retryable: retryable)
  }

  /// The protocol code for an HTTP status and whether to retry (nodes.md: 408, 409, 429, 5xx, 529).
  static func classify(_ status: Int) -> (code: String, retryable: Bool) {
    switch status {
    case 429: ("provider_rate_limited", true)
    case 408, 409, 500...599: ("provider_http_error", true)
    default: ("provider_http_error", false)
    }
  }

  /// The error object of a chunk or body that reports one (an error can arrive inside a 200
  /// stream), as a provider error; `nil` when there is none.
  static func embeddedError(providerID: String, json: JSONValue) -> ProviderError? {
    guard let error = json["error"], !error.isNull else { return nil }
    let type = error["type"]?.stringValue
    let status = error["code"]?.intValue ?? (type == "overloaded_error" ? 529 : nil)
    let (code, retryable) = status.map(classify) ?? ("provider_bad_response", false)
    let text = message(from: error) ?? "an error arrived in the response"
    return ProviderError(
      code: code, message: "\(providerID): \(text.trimmedSentence).", providerID: providerID, httpStatus: nil,
      retryable: retryable || type == "overloaded_error")
  }

  static func detailText(_ body: [UInt8]) -> String? {
    guard !body.isEmpty else { return nil }
    if let json = try? JSONParser.parse(body) {
      if let error = json["error"], !error.isNull, let text = message(from: error) { return text.trimmedSentence }
      if let text = json["message"].flatMap(message(from:)) { return text.trimmedSentence }
      if let text = json["detail"].flatMap(message(from:)) { return text.trimmedSentence }
    }
    let text = String(decoding: body.prefix(200), as: UTF8.self)
    return text.trimmedSentence.isEmpty ? nil : text.trimmedSentence
  }

  /// A message from an error value: a string, an object's `message` (plus a string `code`), or
  /// the value's JSON text.
  static func message(from value: JSONValue) -> String? {
    switch value {
    case .string(let text): return text
    case .object:
      let text = value["message"].flatMap(message(from:)) ?? value.description
      if let code = value["code"]?.stringValue ?? value["type"]?.stringValue { return "\(text) [\(code)]" }
      return text
    case .null: return nil
    default: return value.description
    }
  }
}

extension String {
  /// One line, at most 300 characters, without a final period (the caller adds one).
  var trimmedSentence: String {
    var text = split(whereSeparator: { $0.isNewline }).joined(separator: " ").trimmingWhitespace()
    if text.count > 300 { text = String(text.prefix(300)) + "…" }
    while text.hasSuffix(".") { text.removeLast() }
    return text
  }
}
