import FlowGraph
import JSONRPC

/// The executors of the nodes that compute their output from their data and inputs alone.
public enum DataNodeExecutors {
  /// By node type.
  public static let all: [String: InlineNodeExecutor] = [
    "consistentCharacter": consistentCharacter,
    "sceneBuilder": sceneBuilder,
    "textOutput": textOutput,
    "initialPrompt": initialPrompt,
  ]

  /// Fields of `data` that configure the node rather than describe the character.
  static let nonPersonaFields: Set = ["characters", "providerId", "model", "label"]

  /// `consistentCharacter`: one persona from `name`, `description` and the other string fields,
  /// or one per element of `characters`.
  @Sendable public static func consistentCharacter(_ context: NodeContext) throws -> NodeOutput {
    if case .array(let characters)? = context.node.data["characters"] {
      return NodeOutput(personas: characters.compactMap(\.objectValue).map(persona))
    }
    return NodeOutput(personas: [persona(from: context.node.data)])
  }

  static func persona(from data: JSONObject) -> JSONObject {
    var persona: JSONObject = [
      "name": .string(data["name"]?.stringValue ?? ""), "description": .string(data["description"]?.stringValue ?? ""),
    ]
    for (key, value) in data.members where !nonPersonaFields.contains(key) && persona[key] == nil {
      if case .string = value { persona[key] = value }
    }
    return persona
  }

  /// `sceneBuilder`: the merged input (if any), a blank line, then the composed scene prompt.
  @Sendable public static func sceneBuilder(_ context: NodeContext) throws -> NodeOutput {
    let scene = SceneBlocks.compose { context.node.data[$0]?.stringValue } ?? ""
    let input = context.inputs.mergedText
    return NodeOutput(text: input.isEmpty ? scene : scene.isEmpty ? input : input + "\n\n" + scene)
  }

  /// `textOutput`: the merged input text.
  @Sendable public static func textOutput(_ context: NodeContext) throws -> NodeOutput {
    NodeOutput(text: context.inputs.mergedText)
  }

  /// `initialPrompt` without personas: `data.text` as is. With personas arriving on adapter
  /// edges the node calls a provider (the inject-persona template), which the LLM executors do.
  @Sendable public static func initialPrompt(_ context: NodeContext) throws -> NodeOutput {
    guard context.inputs.personas.isEmpty else {
      throw NodeError(
        .providerNotConfigured,
        "initialPrompt '\(context.node.id)' receives personas and needs a provider call, but this engine has no provider client for it."
      )
    }
    return NodeOutput(text: try context.requiredString("text"))
  }
}
