import FlowExecution
import FlowGraph
import JSON

extension NodeKit {
  /// `sceneBuilder`: the merged input (if any), a blank line, then the composed scene prompt.
  public static let sceneBuilder = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "sceneBuilder", category: .data, callsProvider: false, inputs: [.text], output: [.text],
      dataFields: SceneBlocks.blocks.map { DataField($0.field, .string, $0.description, values: $0.values.map(\.value)) }),
    execution: .inline(SceneBuilder.execute))
}

/// The `sceneBuilder` node's executor.
public enum SceneBuilder {
  /// The merged input, a blank line, and the scene prompt (either alone when the other is empty).
  @Sendable public static func execute(_ context: NodeContext) throws -> NodeOutput {
    let scene = SceneBlocks.compose { context.node.data[$0]?.stringValue } ?? ""
    let input = context.inputs.mergedText
    guard !input.isEmpty, !scene.isEmpty else { return NodeOutput(text: input.isEmpty ? scene : input) }
    var text = ""
    text.reserveCapacity(input.utf8.count + 2 + scene.utf8.count)
    text += input
    text += "\n\n"
    text += scene
    return NodeOutput(text: text)
  }
}
