import FlowExecution
import FlowGraph
import FlowProviders
import JSON

extension NodeKit {
  /// `storyTeller`: a short story from the merged input, woven around `tags`.
  public static let storyTeller = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "storyTeller", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text],
      output: [.text], dataFields: [DataField("tags", .stringArray, "Themes or genres for the story.")] + providerFields),
    execution: .async { context in
      let tags = context.node.data["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
      return try await context.callProvider(StoryTeller.storyteller(try context.requiredText(), tags: tags))
    },
    modelDefault: ModelDefault(providerID: "claude", model: "claude-haiku-4-5"),
    templates: [StoryTeller.identity])
}

/// The `storyTeller` node's template.
public enum StoryTeller {
  static let identity = PromptTemplate.Identity(name: "storyteller", version: "1")

  /// `storyteller(text, tags?)`.
  public static func storyteller(_ text: String, tags: [String]) -> PromptTemplate {
    let themes = tags.isEmpty ? "" : " Weave in these themes: \(tags.joined(separator: ", "))."
    return PromptTemplate(
      identity,
      messages: [
        .system("You are a storyteller. Write a short story based on the user's prompt.\(themes) Answer with the story only."),
        .user(text),
      ])
  }
}
