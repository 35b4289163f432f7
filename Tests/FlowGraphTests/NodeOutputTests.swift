import FlowGraph
import JSON
import Testing

@Suite("Node outputs")
struct NodeOutputTests {
  @Test("the boxed parts have value semantics: a change to a copy leaves the original as it was")
  func valueSemantics() {
    let model = ModelChoice(providerID: "echo", model: "echo-1", source: .flow)
    var original = NodeOutput(text: "t", personas: [["name": "Ada"]], model: model, usage: TokenUsage(inputTokens: 1))
    var copy = original
    copy.cacheKey = "key"
    copy.usage?.add(TokenUsage(inputTokens: 2))
    copy.personas = nil
    #expect(original.cacheKey == nil)
    #expect(original.usage == TokenUsage(inputTokens: 1))
    #expect(original.personas?.count == 1)
    #expect(copy.usage == TokenUsage(inputTokens: 3))
    #expect(copy.model == model)
    #expect(copy != original)
    original.cacheKey = "key"
    original.usage = TokenUsage(inputTokens: 3)
    original.personas = nil
    #expect(copy == original)
    #expect(copy.hashValue == original.hashValue)
  }

  @Test("clearing every part other than the text gives the plain text output back")
  func textOnly() {
    var output = NodeOutput(
      text: "t", image: ImageValue(mimeType: "image/png", width: 1, height: 1, data: nil, byteCount: 0, sha256: ""))
    #expect(!output.isTextOnly)
    output.image = nil
    #expect(output.isTextOnly)
    #expect(output == NodeOutput(text: "t"))
    #expect(Set([output, NodeOutput(text: "t")]).count == 1)
    output.cacheKey = "k"
    #expect(!output.isTextOnly)
    #expect(!NodeOutput().isTextOnly)
  }
}
