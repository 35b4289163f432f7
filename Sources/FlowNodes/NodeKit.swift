import FlowExecution
import FlowGraph
import FlowProviders

/// Everything about one node type in one value: what editors and validation see (the
/// descriptor), how it executes, the model it uses by default and the prompt templates it sends.
/// Each node type is one kit in one file; ``NodeKits`` derives the catalogue, `nodes.list`,
/// the executors and the model defaults from the list of kits.
public struct NodeKit: Sendable {
  /// Validation's and editors' view: inputs, outputs, data fields.
  public var descriptor: NodeTypeDescriptor
  /// How the node executes.
  public var execution: NodeExecution
  /// The provider and model used when the node names none (nodes that call a provider).
  public var modelDefault: ModelDefault?
  /// The prompt templates the node may send, with their versions (part of the cache key).
  public var templates: [PromptTemplate.Identity]
  /// The executor's own version: changing what the node does with a reply changes it.
  public var executorVersion: String

  /// A kit.
  public init(
    descriptor: NodeTypeDescriptor, execution: NodeExecution, modelDefault: ModelDefault? = nil,
    templates: [PromptTemplate.Identity] = [], executorVersion: String = "1"
  ) {
    self.descriptor = descriptor
    self.execution = execution
    self.modelDefault = modelDefault
    self.templates = templates
    self.executorVersion = executorVersion
  }

  /// The node type's name.
  public var type: String { descriptor.type }

  /// The `providerId` and `model` fields every node that calls a provider takes.
  static let providerFields = [
    DataField("providerId", .string, "Provider for this node; overrides the node-type default and the flow's provider."),
    DataField("model", .string, "Model for this node; the provider's default model when absent."),
  ]
}

/// A list of node kits and what derives from it.
public struct NodeKits: Sendable {
  /// The kits, in palette order.
  public let kits: [NodeKit]
  /// The descriptors, for validation.
  public let catalog: NodeCatalog
  /// The executors by type.
  public let executors: ExecutorRegistry
  /// The model defaults by type.
  public let modelDefaults: [String: ModelDefault]

  /// Derives everything from `kits`.
  public init(_ kits: [NodeKit]) {
    self.kits = kits
    catalog = NodeCatalog(kits.map(\.descriptor))
    executors = ExecutorRegistry(
      Dictionary(kits.map { ($0.type, $0.execution) }, uniquingKeysWith: { first, _ in first }),
      versions: Dictionary(kits.map { ($0.type, $0.executorVersion) }, uniquingKeysWith: { first, _ in first }))
    modelDefaults = Dictionary(
      kits.compactMap { kit in kit.modelDefault.map { (kit.type, $0) } }, uniquingKeysWith: { first, _ in first })
  }

  /// The kit of a type.
  public func kit(for type: String) -> NodeKit? { kits.first { $0.type == type } }

  /// Every node type this engine executes, in palette order.
  public static let standard = NodeKits([
    .consistentCharacter, .sceneBuilder, .textOutput, .initialPrompt, .promptEnhancer, .translator, .storyTeller,
    .grammarFix, .compressor, .personasReplacer, .imageDescriber, .imageGenerator,
  ])

  /// The node types that need no provider (data and output nodes).
  public static let dataOnly = NodeKits(standard.kits.filter { !$0.descriptor.callsProvider })
}

extension NodeKits {
  /// The provider ids flows may name, in a stable order.
  public static let knownProviders = ProviderDescriptor.all.map(\.id)

  /// Validates a flow against these node types and the known providers.
  public func validate(_ flow: Flow) -> FlowValidation {
    FlowValidation(flow, catalog: catalog, knownProviders: Self.knownProviders)
  }

  /// ``validate(_:)``, a large flow's nodes and edges checked side by side.
  public func validateConcurrently(_ flow: Flow) async -> FlowValidation {
    await FlowValidation.concurrently(flow, catalog: catalog, knownProviders: Self.knownProviders)
  }
}

extension NodeKits {
  /// Execution services whose model defaults are these kits' defaults with `modelDefaults`
  /// (from the settings) laid over them, type by type.
  public func services(
    providers: ProviderConfiguration = .init(), modelDefaults overrides: [String: ModelDefault] = [:],
    clients: ProviderClients? = nil, limits: RunLimits = RunLimits(), cache: ResponseCache? = nil,
    images: ImageSettings = ImageSettings()
  ) -> ExecutionServices {
    ExecutionServices(
      providers: providers, modelDefaults: modelDefaults.merging(overrides) { _, override in override }, clients: clients,
      limits: limits, cache: cache, images: images)
  }
}
