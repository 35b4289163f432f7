import FlowExecution
import FlowGraph
import FlowProviders
import JSON

extension NodeKit {
  /// `personasReplacer`: the description (text input) with its generic characters replaced by
  /// the personas (adapter input).
  public static let personasReplacer = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "personasReplacer", category: .text, callsProvider: true, inputs: [.text, .adapter],
      requiredInputs: [.text, .adapter], output: [.text], dataFields: providerFields),
    execution: .async { context in
      guard !context.inputs.personas.isEmpty else {
        throw NodeError(.missingInput, "Node '\(context.node.id)' (personasReplacer) received no personas.")
      }
      let template = PersonasReplacer.replace(try context.requiredText(), personas: context.inputs.personas)
      return try await context.callProvider(template)
    },
    modelDefault: ModelDefault(providerID: "claude", model: "claude-haiku-4-5"),
    templates: [PersonasReplacer.identity])
}

/// The `personasReplacer` node's template.
public enum PersonasReplacer {
  static let identity = PromptTemplate.Identity(name: "replace", version: "1")

  /// `replace(description, personas)`.
  public static func replace(_ description: String, personas: [JSONObject]) -> PromptTemplate {
    PromptTemplate(
      identity,
      messages: [
        .system(
          "Replace the generic characters in the description (a man, a woman, a child, a figure) with the given characters, using their names and details. Change nothing else. Answer with the new description only."
        ),
        .user("Characters:\n\(PromptTemplate.describe(personas))\n\nDescription:\n\(description)"),
      ])
  }
}
