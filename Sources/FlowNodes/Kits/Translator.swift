import FlowExecution
import FlowGraph
import FlowProviders

extension NodeKit {
  /// `translator`: the merged input in one of the 28 languages.
  public static let translator = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "translator", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text],
      output: [.text],
      dataFields: [DataField("language", .string, required: true, "Target language code.", values: Languages.codes)]
        + providerFields),
    execution: .async { context in
      let code = try context.requiredString("language")
      guard let language = Languages.name(of: code) else {
        throw NodeError(.invalidData, "Node '\(context.node.id)': '\(code)' is not a supported language code.")
      }
      return try await context.callProvider(Translator.translate(try context.requiredText(), languageName: language))
    },
    modelDefault: ModelDefault(providerID: "mistral", model: "mistral-small-latest"),
    templates: [Translator.identity])
}

/// The `translator` node's template.
public enum Translator {
  static let identity = PromptTemplate.Identity(name: "translate", version: "1")

  /// `translate(text, language_name)`.
  public static func translate(_ text: String, languageName: String) -> PromptTemplate {
    PromptTemplate(
      identity,
      messages: [
        .system(
          "You are a translator. Translate the user's text into \(languageName). Keep the meaning, tone and formatting. Answer with the translation only."
        ),
        .user(text),
      ])
  }
}
