import JSON

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
  /// The smallest allowed value of a numeric field.
  public var minimum: Int?

  /// A field description.
  public init(
    _ name: String, _ type: DataFieldType, required: Bool = false, _ description: String, values: [String]? = nil,
    minimum: Int? = nil
  ) {
    self.name = name
    self.type = type
    self.required = required
    self.description = description
    self.values = values
    self.minimum = minimum
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

/// The fixed facts about a node type that validation and editors need: its inputs, its data,
/// whether it calls a provider.
public struct NodeTypeDescriptor: Sendable {
  /// The provider capability a node type requires beyond text chat.
  public enum ProviderCapability: String, Sendable {
    case vision
    case imageGeneration = "image_generation"
  }

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
  /// A `data` field that stands in for a required input when set (`imageDescriber`'s `image`).
  public var inputAlternatives: [EdgeClass: String]
  /// What it outputs.
  public var output: [OutputKind]
  /// Its data fields.
  public var dataFields: [DataField]
  /// Whether `data` keys beyond ``dataFields`` belong to the node (a character's extra string
  /// fields) rather than being typos.
  public var acceptsExtraFields: Bool
  /// Whether it needs an image-generation provider or a vision model.
  public var needs: ProviderCapability?
  /// Problems with a node's `data`, as phrases ("data.language is required"); the default
  /// checks ``dataFields`` with ``DataValidation/fieldProblems(_:fields:)``.
  public var validateData: @Sendable (JSONObject, [DataField]) -> [String]

  /// A descriptor.
  public init(
    type: String, category: NodeCategory, callsProvider: Bool, inputs: [EdgeClass], requiredInputs: [EdgeClass] = [],
    inputAlternatives: [EdgeClass: String] = [:], output: [OutputKind], dataFields: [DataField],
    acceptsExtraFields: Bool = false, needs: ProviderCapability? = nil,
    validateData: @escaping @Sendable (JSONObject, [DataField]) -> [String] = DataValidation.fieldProblems
  ) {
    self.type = type
    self.category = category
    self.callsProvider = callsProvider
    self.inputs = inputs
    self.requiredInputs = requiredInputs
    self.inputAlternatives = inputAlternatives
    self.output = output
    self.dataFields = dataFields
    self.acceptsExtraFields = acceptsExtraFields
    self.needs = needs
    self.validateData = validateData
  }
}

/// The node types a validation knows, in palette order.
public struct NodeCatalog: Sendable {
  /// The descriptors, in palette order.
  public let descriptors: [NodeTypeDescriptor]
  /// Descriptor positions by type name (looked up for every node of a flow).
  private let byType: NodeIDTable
  /// Per descriptor, the edge classes its outputs can fill, as bits of ``EdgeClass/bit``.
  let outputBits: [UInt8]
  /// Per descriptor, the edge classes it takes as inputs, as bits.
  let inputBits: [UInt8]

  /// A catalog of these descriptors; a repeated type keeps its first descriptor.
  public init(_ descriptors: [NodeTypeDescriptor]) {
    self.descriptors = descriptors
    byType = NodeIDTable(descriptors.map(\.type))
    outputBits = descriptors.map { descriptor in
      EdgeClass.allCases.filter { descriptor.output.contains($0.carries) }.reduce(0) { $0 | $1.bit }
    }
    inputBits = descriptors.map { $0.inputs.reduce(0) { $0 | $1.bit } }
  }

  /// The descriptor of a type, or `nil` for an unknown type.
  public func descriptor(for type: String) -> NodeTypeDescriptor? { byType[type].map { descriptors[$0] } }

  /// The position of a type's descriptor, or `nil` for an unknown type.
  public func position(of type: String) -> Int? { byType[type] }

  /// The type names, in palette order.
  public var typeNames: [String] { descriptors.map(\.type) }
}
