import FlowExecution
import FlowGraph
import FlowProviders
import JSON

extension NodeKit {
  /// `initialPrompt`: `data.text` as is; personas arriving on adapter edges make it a provider
  /// call through `inject_persona`. Without personas it runs inline.
  public static let initialPrompt = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "initialPrompt", category: .text, callsProvider: true, inputs: [.adapter], output: [.text],
      dataFields: [DataField("text", .string, required: true, "The prompt text.")] + providerFields),
    execution: .inlineOrAsync(
      inline: { context in
        context.inputs.personas.isEmpty ? NodeOutput(text: try context.requiredString("text")) : nil
      },
      async: { context in
        let template = InitialPrompt.injectPersona(context.inputs.personas, prompt: try context.requiredString("text"))
        return try await context.callProvider(template)
      }),
    modelDefault: ModelDefault(providerID: "mistral", model: "mistral-small-latest"),
    templates: [InitialPrompt.identity])
}

/// The `initialPrompt` node's template.
public enum InitialPrompt {
  static let identity = PromptTemplate.Identity(name: "inject_persona", version: "1")

  /// `inject_persona(personas, prompt_text)`.
  public static func injectPersona(_ personas: [JSONObject], prompt: String) -> PromptTemplate {
    PromptTemplate(
      identity,
      messages: [
        .system(
          "You rewrite prompts so that they feature the given characters, described consistently with the details given. Keep the scene and intent. Answer with the rewritten prompt only."
        ),
        .user("Characters:\n\(PromptTemplate.describe(personas))\n\nPrompt:\n\(prompt)"),
      ])
  }
}
