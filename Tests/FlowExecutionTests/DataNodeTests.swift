import FlowExecution
import FlowGraph
import FlowNodes
import JSON
import JSONRPC
import Testing

@Suite("Data node executors")
struct DataNodeTests {
  func context(_ type: String, _ data: JSONObject, texts: [String] = [], personas: [JSONObject] = []) -> NodeContext {
    var inputs = NodeInputs()
    inputs.texts = texts
    inputs.personas = personas
    return NodeContext(
      node: FlowNode(id: "n", type: type, data: data), inputs: inputs, runID: "r", flowProviderID: nil, options: RunOptions())
  }

  /// Runs a kit's inline executor.
  func run(_ kit: NodeKit, _ context: NodeContext) throws -> NodeOutput {
    switch kit.execution {
    case .inline(let executor): return try executor(context)
    case .inlineOrAsync(let inline, _): return try #require(try inline(context))
    case .async: throw NodeError(.internalError, "\(kit.type) has no inline executor")
    }
  }

  @Test("consistentCharacter: one persona with its extra string fields, or one per character")
  func personas() throws {
    let single = try run(
      .consistentCharacter,
      context(
        "consistentCharacter",
        ["name": "Ada", "description": "an engineer", "outfit": "a grey coat", "age": 36, "providerId": "echo"]))
    #expect(single.personas == [["name": "Ada", "description": "an engineer", "outfit": "a grey coat"]])
    let many = try run(
      .consistentCharacter,
      context(
        "consistentCharacter",
        ["characters": [["name": "Ada", "description": "x"], ["name": "Bo", "description": "y", "hair": "red"]]]))
    #expect(many.personas?.map { $0["name"] } == ["Ada", "Bo"])
    #expect(many.personas?[1]["hair"] == "red")
  }

  @Test("sceneBuilder: merged input, a blank line, then the scene in block order")
  func scene() throws {
    let output = try run(
      .sceneBuilder,
      context(
        "sceneBuilder", ["weather": "rain", "setting": "city", "timeOfDay": "night"], texts: ["a detective", "", "in a coat"]))
    #expect(output.text == "a detective\n\nin a coat\n\nA bustling modern city street, at night, in the rain.")
    let bare = try run(.sceneBuilder, context("sceneBuilder", [:]))
    #expect(bare.text == "")
  }

  @Test("textOutput merges its inputs with blank lines, empty ones dropped")
  func textOutput() throws {
    let output = try run(.textOutput, context("textOutput", [:], texts: ["a", "", "b"]))
    #expect(output.text == "a\n\nb")
  }

  @Test("initialPrompt passes data.text through as is")
  func initialPrompt() throws {
    let output = try run(.initialPrompt, context("initialPrompt", ["text": "  a knight \n"]))
    #expect(output.text == "  a knight \n")
  }

  @Test("the scene table and the language list are complete")
  func tables() {
    #expect(Languages.all.count == 28)
    #expect(Set(Languages.codes).count == 28)
    #expect(Languages.name(of: "el") == "Greek")
    #expect(SceneBlocks.blocks.map(\.field) == ["setting", "lighting", "camera", "mood", "style", "timeOfDay", "weather"])
    #expect(SceneBlocks.blocks.allSatisfy { $0.values.count >= 5 })
  }
}
