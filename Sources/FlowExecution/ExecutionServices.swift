import FlowProviders
import Synchronization

/// What provider-calling executors need: settings, model defaults, and the provider clients.
public struct ExecutionServices: Sendable {
  /// Provider settings (credentials decide which providers count as configured).
  public var providers: ProviderConfiguration
  /// Model defaults by node type, built-ins with the settings' overrides on top.
  public var modelDefaults: [String: ModelDefault]
  /// The clients that can be called.
  public var clients: ProviderClients

  /// Services with the given parts; `modelDefaults` are laid over the built-in table.
  public init(
    providers: ProviderConfiguration = .init(), modelDefaults: [String: ModelDefault] = [:], clients: ProviderClients? = nil
  ) {
    self.providers = providers
    self.modelDefaults = ModelDefault.builtIn.merging(modelDefaults) { _, override in override }
    self.clients = clients ?? ProviderClients(configuration: providers)
  }
}

/// Counts a run's provider calls (every attempt, failures included) from any task.
public final class UsageMeter: Sendable {
  private let calls = Atomic<Int>(0)

  /// A meter at zero.
  public init() {}

  /// Records one provider call attempt.
  public func recordCall() { calls.add(1, ordering: .relaxed) }

  /// The calls recorded.
  public var providerCalls: Int { calls.load(ordering: .relaxed) }
}
