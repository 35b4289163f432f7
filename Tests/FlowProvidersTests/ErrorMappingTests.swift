import JSON
import JSONRPC
import Testing

@testable import FlowProviders

@Suite("Provider error bodies")
struct ErrorMappingTests {
  @Test(
    "every body shape gives one sentence with the provider's own message",
    arguments: [
      (
        "mistral", 401, #"{"message":"Unauthorized","request_id":"x"}"#,
        "mistral: authentication failed; check the API key (HTTP 401): Unauthorized."
      ),
      (
        "mistral", 422,
        #"{"object":"error","message":{"detail":[{"msg":"Extra inputs are not permitted"}]},"type":"invalid_request_message_error"}"#,
        "Extra inputs are not permitted"
      ),
      (
        "mistral", 400, #"{"object":"error","message":"Invalid model: x","type":"invalid_model","code":"1500"}"#,
        "Invalid model: x"
      ),
      ("glm", 400, #"{"error":{"code":"1211","message":"模型不存在"}}"#, "模型不存在 [1211]"),
      (
        "openrouter", 402, #"{"error":{"code":402,"message":"Insufficient credits","metadata":{}}}"#,
        "payment required (credits exhausted) (HTTP 402): Insufficient credits."
      ),
      (
        "huggingface", 503, #"{"error":"Model is currently loading","estimated_time":20.0}"#,
        "server error (HTTP 503): Model is currently loading."
      ),
      (
        "claude", 529, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        "overloaded (HTTP 529): Overloaded [overloaded_error]."
      ),
      ("huggingface", 500, "<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
      ("openrouter", 503, "upstream connect error or disconnect/reset before headers\n", "upstream connect error"),
    ])
  func bodies(provider: String, status: Int, body: String, expected: String) {
    let error = ProviderErrorMapping.error(providerID: provider, status: status, body: Array(body.utf8))
    #expect(error.message.contains(expected), "\(error.message)")
    #expect(error.message.hasPrefix("\(provider): "))
    #expect(error.message.hasSuffix("."))
    #expect(error.httpStatus == status)
  }

  @Test("statuses: 429 rate limited; 408, 409, 5xx, 529 retryable; other 4xx final")
  func classify() {
    #expect(ProviderErrorMapping.classify(429) == ("provider_rate_limited", true))
    for status in [408, 409, 500, 502, 503, 529] { #expect(ProviderErrorMapping.classify(status).retryable) }
    for status in [400, 401, 402, 403, 404, 413, 422] { #expect(!ProviderErrorMapping.classify(status).retryable) }
  }

  @Test("an error inside a 200 stream counts like the status it carries")
  func embedded() throws {
    let openrouter = try JSONParser.parse(#"{"error":{"code":502,"message":"Upstream error"},"choices":[]}"#)
    let mapped = try #require(ProviderErrorMapping.embeddedError(providerID: "openrouter", json: openrouter))
    #expect(mapped.code == "provider_http_error" && mapped.retryable)
    let anthropic = try JSONParser.parse(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
    #expect(ProviderErrorMapping.embeddedError(providerID: "claude", json: anthropic)?.retryable == true)
    #expect(ProviderErrorMapping.embeddedError(providerID: "x", json: ["choices": []]) == nil)
  }
}
