import JSON
import Testing

@testable import FlowProviders

@Suite("Token counts from providers")
struct UsageCountTests {
  static let hostile = ["-5", "1.5", "9223372036854775807", "1e300", "1099511627777", "\"12\"", "null"]

  @Test("a count that is not a whole number from 0 to 2^40 counts as not reported", arguments: hostile)
  func hostileCompleteCounts(count: String) throws {
    let body = try JSONParser.parse(
      #"{"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":\#(count),"completion_tokens":7}}"#)
    let response = try WireFormat.openAICompatible.parseResponse(body, providerID: "mistral")
    #expect(response.inputTokens == nil)
    #expect(response.outputTokens == 7)
    let claude = try JSONParser.parse(
      #"{"content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":3,"output_tokens":\#(count)}}"#)
    let claudeResponse = try WireFormat.anthropic.parseResponse(claude, providerID: "claude")
    #expect(claudeResponse.inputTokens == 3)
    #expect(claudeResponse.outputTokens == nil)
  }

  @Test("streamed usage with a hostile count keeps what was reported before", arguments: hostile)
  func hostileStreamedCounts(count: String) throws {
    var accumulator = StreamAccumulator()
    _ = try accumulator.apply(
      ServerSentEvent(data: #"{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":5}}"#),
      format: .openAICompatible, providerID: "openrouter")
    _ = try accumulator.apply(
      ServerSentEvent(data: #"{"choices":[],"usage":{"prompt_tokens":\#(count),"completion_tokens":6}}"#),
      format: .openAICompatible, providerID: "openrouter")
    #expect(accumulator.inputTokens == 4)
    #expect(accumulator.outputTokens == 6)
  }

  @Test("the largest accepted count is kept")
  func largestCount() throws {
    let body = try JSONParser.parse(
      #"{"choices":[{"message":{"content":""}}],"usage":{"prompt_tokens":1099511627776,"completion_tokens":0}}"#)
    let response = try WireFormat.openAICompatible.parseResponse(body, providerID: "mistral")
    #expect(response.inputTokens == 1 << 40)
    #expect(response.outputTokens == 0)
  }
}
