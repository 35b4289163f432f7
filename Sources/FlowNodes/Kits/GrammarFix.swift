import FlowExecution
import FlowGraph
import FlowProviders
import JSON

extension NodeKit {
  /// `grammarFix`: the merged input with spelling, grammar and punctuation corrected.
  public static let grammarFix = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "grammarFix", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text],
      output: [.text], dataFields: [DataField("style", .string, "The register to keep (e.g. formal).")] + providerFields),
    execution: .async { context in
      let template = GrammarFix.grammarFix(try context.requiredText(), style: context.node.data["style"]?.stringValue)
      return try await context.callProvider(template)
    },
    modelDefault: ModelDefault(providerID: "mistral", model: "mistral-small-latest"),
    templates: [GrammarFix.identity])
}

/// The `grammarFix` node's template.
public enum GrammarFix {
  static let identity = PromptTemplate.Identity(name: "grammar_fix", version: "1")

  /// `grammar_fix(text, style?)`.
  public static func grammarFix(_ text: String, style: String?) -> PromptTemplate {
    let register = style.map { $0.isEmpty ? "" : " Keep a \($0) style." } ?? ""
    return PromptTemplate(
      identity,
      messages: [
        .system(
          "Correct the spelling, grammar and punctuation of the user's text without changing its meaning.\(register) Answer with the corrected text only."
        ),
        .user(text),
      ])
  }
}
