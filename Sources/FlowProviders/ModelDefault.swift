/// A provider and model chosen for a node type when the node names none.
public struct ModelDefault: Sendable, Hashable {
  /// The provider id.
  public var providerID: String
  /// The model, or `nil` for the provider's default model.
  public var model: String?

  /// A default with a provider and an optional model.
  public init(providerID: String, model: String? = nil) {
    self.providerID = providerID
    self.model = model
  }

  /// The built-in defaults by node type; `initialize` and the config file override them per type.
  /// A default whose provider has no credentials is passed over at resolution time.
  public static let builtIn: [String: ModelDefault] = [
    "initialPrompt": ModelDefault(providerID: "mistral", model: "mistral-small-latest"),
    "promptEnhancer": ModelDefault(providerID: "mistral", model: "mistral-medium-latest"),
    "translator": ModelDefault(providerID: "mistral", model: "mistral-small-latest"),
    "storyTeller": ModelDefault(providerID: "claude", model: "claude-haiku-4-5"),
    "grammarFix": ModelDefault(providerID: "mistral", model: "mistral-small-latest"),
    "compressor": ModelDefault(providerID: "glm", model: "glm-4-flash"),
    "personasReplacer": ModelDefault(providerID: "claude", model: "claude-haiku-4-5"),
    "imageDescriber": ModelDefault(providerID: "glm", model: "glm-4v-flash"),
    "imageGenerator": ModelDefault(providerID: "huggingface", model: "black-forest-labs/FLUX.1-schnell"),
  ]
}
