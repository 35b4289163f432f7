import FlowExecution
import FlowGraph
import FlowProviders

extension NodeKit {
  /// `compressor`: the merged input as briefly as possible.
  public static let compressor = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "compressor", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text],
      output: [.text], dataFields: providerFields),
    execution: .async { context in
      try await context.callProvider(Compressor.compress(try context.requiredText()))
    },
    modelDefault: ModelDefault(providerID: "glm", model: "glm-4-flash"),
    templates: [Compressor.identity])
}

/// The `compressor` node's template.
public enum Compressor {
  static let identity = PromptTemplate.Identity(name: "compress", version: "1")

  /// `compress(text)`.
  public static func compress(_ text: String) -> PromptTemplate {
    PromptTemplate(
      identity,
      messages: [
        .system(
          "Rewrite the user's text as briefly as possible without losing anything a reader needs. Answer with the shortened text only."
        ),
        .user(text),
      ])
  }
}
