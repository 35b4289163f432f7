import FlowProviders

/// What provider-calling executors need: settings, model defaults, and the provider clients.
public struct ExecutionServices: Sendable {
  /// Provider settings (credentials decide which providers count as configured).
  public var providers: ProviderConfiguration
  /// Model defaults by node type (the node kits' defaults with the settings' overrides on top).
  public var modelDefaults: [String: ModelDefault]
  /// The clients that can be called.
  public var clients: ProviderClients
  /// How much output nodes and runs may produce.
  public var limits: RunLimits
  /// Provider replies by input hash, shared by every run (`nil`: no cache).
  public var cache: ResponseCache?

  /// Services with the given parts.
  public init(
    providers: ProviderConfiguration = .init(), modelDefaults: [String: ModelDefault] = [:], clients: ProviderClients? = nil,
    limits: RunLimits = RunLimits(), cache: ResponseCache? = nil
  ) {
    self.cache = cache
    self.providers = providers
    self.modelDefaults = modelDefaults
    self.clients = clients ?? ProviderClients(configuration: providers)
    self.limits = limits
  }
}
