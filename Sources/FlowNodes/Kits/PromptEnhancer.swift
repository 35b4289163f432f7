import FlowExecution
import FlowGraph
import FlowProviders
import JSON

extension NodeKit {
  /// `promptEnhancer`: makes the merged input a vivid, specific prompt.
  public static let promptEnhancer = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "promptEnhancer", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text],
      output: [.text], dataFields: [DataField("notes", .string, "What to emphasise when enhancing.")] + providerFields),
    execution: .async { context in
      let template = PromptEnhancer.enhance(try context.requiredText(), notes: context.node.data["notes"]?.stringValue)
      return try await context.callProvider(template)
    },
    modelDefault: ModelDefault(providerID: "mistral", model: "mistral-medium-latest"),
    templates: [PromptEnhancer.identity])
}

/// The `promptEnhancer` node's template.
public enum PromptEnhancer {
  static let identity = PromptTemplate.Identity(name: "enhance", version: "1")

  /// `enhance(text, notes?)`.
  public static func enhance(_ text: String, notes: String?) -> PromptTemplate {
    var user = text
    if let notes, !notes.isEmpty { user += "\n\nNotes: \(notes)" }
    return PromptTemplate(
      identity,
      messages: [
        .system(
          "You improve prompts for image and text generation. Make the prompt vivid and specific, keep its intent, and answer with the improved prompt only."
        ),
        .user(user),
      ])
  }
}
