import FlowExecution
import FlowGraph

extension NodeKit {
  /// `textOutput`: the merged input text.
  public static let textOutput = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "textOutput", category: .output, callsProvider: false, inputs: [.text], output: [.text], dataFields: []),
    execution: .inline { context in NodeOutput(text: context.inputs.mergedText) })
}
