import FlowExecution
import FlowGraph
import JSON

extension NodeKit {
  /// `consistentCharacter`: one persona from `name`, `description` and the other string fields,
  /// or one per element of `characters`.
  public static let consistentCharacter = NodeKit(
    descriptor: NodeTypeDescriptor(
      type: "consistentCharacter", category: .data, callsProvider: false, inputs: [], output: [.personas],
      dataFields: [
        DataField("name", .string, required: true, "The character's name (unless `characters` is given)."),
        DataField("description", .string, required: true, "Who the character is (unless `characters` is given)."),
        DataField("characters", .objectArray, "Several characters, each with `name`, `description` and extra string fields."),
      ],
      acceptsExtraFields: true, validateData: ConsistentCharacter.problems),
    execution: .inline(ConsistentCharacter.execute))
}

/// The `consistentCharacter` node's data rules and executor.
public enum ConsistentCharacter {
  /// Fields of `data` that configure the node rather than describe the character.
  static let nonPersonaFields: Set = ["characters", "providerId", "model", "label"]

  /// `name` and `description` are required unless `characters` is given; then each character needs both.
  @Sendable static func problems(_ data: JSONObject, fields: [DataField]) -> [String] {
    guard case .array(let characters)? = data["characters"] else {
      return DataValidation.fieldProblems(data, fields: fields)
    }
    let relaxed = fields.map { field in
      var field = field
      field.required = false
      return field
    }
    var problems = DataValidation.fieldProblems(data, fields: relaxed)
    if characters.isEmpty { problems.append("data.characters is empty") }
    for (position, character) in characters.enumerated() {
      guard case .object(let object) = character else { continue }
      for key in ["name", "description"] where (object[key]?.stringValue ?? "").isBlank {
        problems.append("data.characters[\(position)].\(key) is required")
      }
    }
    return problems
  }

  /// The node's personas.
  @Sendable public static func execute(_ context: NodeContext) throws -> NodeOutput {
    if case .array(let characters)? = context.node.data["characters"] {
      return NodeOutput(personas: characters.compactMap(\.objectValue).map(persona))
    }
    return NodeOutput(personas: [persona(from: context.node.data)])
  }

  static func persona(from data: JSONObject) -> JSONObject {
    var persona: JSONObject = [
      "name": .string(data["name"]?.stringValue ?? ""), "description": .string(data["description"]?.stringValue ?? ""),
    ]
    data.forEachMember { key, value in
      if !nonPersonaFields.contains(key), persona[key] == nil, case .string = value { persona[key] = value }
    }
    return persona
  }
}
