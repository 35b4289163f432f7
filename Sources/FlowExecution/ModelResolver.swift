import FlowGraph
import FlowProviders
import JSON

/// Chooses the provider and model for a node, first match wins (nodes.md, model resolution):
/// the node's own `providerId` (+ `model`), the node type's default (passed over when its
/// provider has no credentials), the flow's `provider_id` with its default model. A flow whose
/// `provider_id` is `echo` is a dry run: every node uses `echo`, whatever it names, and nothing
/// goes over the network.
public enum ModelResolver {
  /// The provider that makes a whole run a dry run when the flow names it.
  public static let dryRunProvider = "echo"

  /// What a node needs its model for: resolution for images only considers providers that can
  /// do it, and takes their vision or image model by default.
  public enum Use: Sendable {
    case chat, vision, imageGeneration

    func supported(by descriptor: ProviderDescriptor) -> Bool {
      switch self {
      case .chat: true
      case .vision: descriptor.visionModel != nil
      case .imageGeneration: descriptor.imageAPI != nil
      }
    }

    var description: String {
      switch self {
      case .chat: "answer chat requests"
      case .vision: "describe images"
      case .imageGeneration: "generate images"
      }
    }
  }

  /// The choice for `node`, or a `provider_not_configured` error saying how to fix it.
  public static func resolve(
    node: FlowNode, flowProviderID: String?, services: ExecutionServices, use: Use = .chat
  ) throws(NodeError) -> ModelChoice {
    if flowProviderID == dryRunProvider, let echo = ProviderDescriptor.named(dryRunProvider) {
      return ModelChoice(providerID: dryRunProvider, model: defaultModel(echo, services, use), source: .dryRun)
    }
    if case .string(let providerID)? = node.data["providerId"], !providerID.isEmpty {
      let descriptor = try configured(providerID, services: services)
      try capable(descriptor, use, node: node)
      let model = node.data["model"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
      return ModelChoice(providerID: providerID, model: model ?? defaultModel(descriptor, services, use), source: .node)
    }
    if let preset = services.modelDefaults[node.type], let descriptor = ProviderDescriptor.named(preset.providerID),
      services.providers.isConfigured(descriptor), use.supported(by: descriptor)
    {
      return ModelChoice(
        providerID: preset.providerID, model: preset.model ?? defaultModel(descriptor, services, use),
        source: .nodeTypeDefault)
    }
    if let flowProviderID {
      let descriptor = try configured(flowProviderID, services: services)
      try capable(descriptor, use, node: node)
      return ModelChoice(providerID: flowProviderID, model: defaultModel(descriptor, services, use), source: .flow)
    }
    throw NodeError(
      .providerNotConfigured,
      "Node '\(node.id)' (\(node.type)) has no provider: set data.providerId, give the flow a provider_id, or configure the provider of the \(node.type) default."
    )
  }

  /// Throws when `descriptor` cannot do what the node needs, naming the providers that can.
  private static func capable(_ descriptor: ProviderDescriptor, _ use: Use, node: FlowNode) throws(NodeError) {
    guard !use.supported(by: descriptor) else { return }
    let able = ProviderDescriptor.all.filter { use.supported(by: $0) && $0.id != dryRunProvider }.map(\.id)
    throw NodeError(
      .providerNotConfigured,
      "Node '\(node.id)' (\(node.type)): \(descriptor.id) cannot \(use.description); use \(able.joined(separator: " or ")) (or echo for a dry run).",
      providerID: descriptor.id)
  }

  private static func configured(_ providerID: String, services: ExecutionServices) throws(NodeError) -> ProviderDescriptor {
    guard let descriptor = ProviderDescriptor.named(providerID) else {
      throw NodeError(.providerNotConfigured, "'\(providerID)' is not a known provider.", providerID: providerID)
    }
    guard services.providers.isConfigured(descriptor) else {
      let variables = descriptor.apiKeyVariables.joined(separator: " or ")
      throw NodeError(
        .providerNotConfigured,
        "\(providerID): no API key; set \(variables) or pass providers.\(providerID).api_key in initialize.",
        providerID: providerID)
    }
    return descriptor
  }

  private static func defaultModel(_ descriptor: ProviderDescriptor, _ services: ExecutionServices, _ use: Use) -> String {
    let settings = services.providers.effectiveSettings(for: descriptor)
    switch use {
    case .chat: return settings.defaultModel ?? descriptor.defaultModel
    case .vision: return settings.visionModel ?? descriptor.visionModel ?? descriptor.defaultModel
    case .imageGeneration: return settings.imageModel ?? descriptor.imageModel ?? descriptor.defaultModel
    }
  }
}
