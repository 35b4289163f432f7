import JSONRPC

/// The JSON type a `data` field must have.
public enum DataFieldType: String, Sendable {
  case string
  case integer
  case number
  case boolean
  case stringArray = "string[]"
  case objectArray = "object[]"
  case image
}

/// One field of a node's `data`, for validation and for editors' forms.
public struct DataField: Sendable {
  /// The field name (`camelCase`).
  public var name: String
  /// Its JSON type.
  public var type: DataFieldType
  /// Whether the node is invalid without it.
  public var required: Bool
  /// One sentence for a form's help text.
  public var description: String
  /// The allowed values of an enumerated field.
  public var values: [String]?

  /// A field description.
  public init(_ name: String, _ type: DataFieldType, required: Bool = false, _ description: String, values: [String]? = nil) {
    self.name = name
    self.type = type
    self.required = required
    self.description = description
    self.values = values
  }
}

/// The palette category of a node type.
public enum NodeCategory: String, Sendable {
  case data, text, image, output
}

/// What kind of output a node produces.
public enum OutputKind: String, Sendable {
  case text, personas, image
}

/// The fixed facts about a node type: its inputs, its data, whether it calls a provider.
public struct NodeTypeDescriptor: Sendable {
  /// The type name used in flows.
  public var type: String
  /// The palette category.
  public var category: NodeCategory
  /// Whether the node may call a provider.
  public var callsProvider: Bool
  /// The input edge classes it accepts.
  public var inputs: [EdgeClass]
  /// The input edge classes it cannot run without.
  public var requiredInputs: [EdgeClass]
  /// What it outputs.
  public var output: [OutputKind]
  /// Its data fields.
  public var dataFields: [DataField]
  /// Whether it needs an image-generation provider or a vision model.
  public var needs: ProviderCapability?

  /// The provider capability a node type requires beyond text chat.
  public enum ProviderCapability: String, Sendable {
    case vision
    case imageGeneration = "image_generation"
  }
}

/// Every node type the engine knows.
public enum NodeCatalog {
  static let providerFields = [
    DataField("providerId", .string, "Provider for this node; overrides the node-type default and the flow's provider."),
    DataField("model", .string, "Model for this node; the provider's default model when absent."),
  ]

  /// The descriptors, in palette order.
  public static let all: [NodeTypeDescriptor] = [
    NodeTypeDescriptor(
      type: "consistentCharacter", category: .data, callsProvider: false, inputs: [], requiredInputs: [], output: [.personas],
      dataFields: [
        DataField("name", .string, required: true, "The character's name (unless `characters` is given)."),
        DataField("description", .string, required: true, "Who the character is (unless `characters` is given)."),
        DataField("characters", .objectArray, "Several characters, each with `name`, `description` and extra string fields."),
      ]),
    NodeTypeDescriptor(
      type: "sceneBuilder", category: .data, callsProvider: false, inputs: [.text], requiredInputs: [], output: [.text],
      dataFields: SceneBlocks.blocks.map { DataField($0.field, .string, $0.description, values: $0.values.map(\.value)) }),
    NodeTypeDescriptor(
      type: "textOutput", category: .output, callsProvider: false, inputs: [.text], requiredInputs: [], output: [.text],
      dataFields: []),
    NodeTypeDescriptor(
      type: "initialPrompt", category: .text, callsProvider: true, inputs: [.adapter], requiredInputs: [], output: [.text],
      dataFields: [DataField("text", .string, required: true, "The prompt text.")] + providerFields),
    NodeTypeDescriptor(
      type: "promptEnhancer", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text], output: [.text],
      dataFields: [DataField("notes", .string, "What to emphasise when enhancing.")] + providerFields),
    NodeTypeDescriptor(
      type: "translator", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text], output: [.text],
      dataFields: [DataField("language", .string, required: true, "Target language code.", values: Languages.codes)]
        + providerFields),
    NodeTypeDescriptor(
      type: "storyTeller", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text], output: [.text],
      dataFields: [DataField("tags", .stringArray, "Themes or genres for the story.")] + providerFields),
    NodeTypeDescriptor(
      type: "grammarFix", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text], output: [.text],
      dataFields: [DataField("style", .string, "The register to keep (e.g. formal).")] + providerFields),
    NodeTypeDescriptor(
      type: "compressor", category: .text, callsProvider: true, inputs: [.text], requiredInputs: [.text], output: [.text],
      dataFields: providerFields),
    NodeTypeDescriptor(
      type: "imageDescriber", category: .image, callsProvider: true, inputs: [.image], requiredInputs: [], output: [.text],
      dataFields: [
        DataField("image", .image, "An image to describe when no image edge arrives: {mime_type, base64} or {url}."),
        DataField("notes", .string, "What to focus on."),
      ] + providerFields, needs: .vision),
    NodeTypeDescriptor(
      type: "imageGenerator", category: .image, callsProvider: true, inputs: [.text], requiredInputs: [.text], output: [.image],
      dataFields: [
        DataField("width", .integer, "Image width in pixels."), DataField("height", .integer, "Image height in pixels."),
        DataField("seed", .integer, "Random seed."), DataField("negativePrompt", .string, "What the image must not show."),
      ] + providerFields, needs: .imageGeneration),
    NodeTypeDescriptor(
      type: "personasReplacer", category: .text, callsProvider: true, inputs: [.text, .adapter],
      requiredInputs: [.text, .adapter], output: [.text], dataFields: providerFields),
  ]

  private static let byType = Dictionary(uniqueKeysWithValues: all.map { ($0.type, $0) })

  /// The descriptor of a type, or `nil` for an unknown type.
  public static func descriptor(for type: String) -> NodeTypeDescriptor? { byType[type] }

  /// The type names, in palette order.
  public static var typeNames: [String] { all.map(\.type) }
}

extension NodeTypeDescriptor {
  /// The `nodes.list` entry for this type.
  public var json: JSONValue {
    [
      "type": .string(type),
      "category": .string(category.rawValue),
      "calls_provider": .bool(callsProvider),
      "inputs": .array(inputs.map { .string($0.rawValue) }),
      "required_inputs": .array(requiredInputs.map { .string($0.rawValue) }),
      "output": .array(output.map { .string($0.rawValue) }),
      "data_fields": .array(
        dataFields.map { field in
          var object: JSONObject = [
            "name": .string(field.name), "type": .string(field.type.rawValue), "required": .bool(field.required),
            "description": .string(field.description),
          ]
          if let values = field.values { object["values"] = .array(values.map(JSONValue.string)) }
          return .object(object)
        }),
    ]
  }
}
