import Signals

/// The provider clients of one engine (or one connection's settings), created on first use and
/// kept, so each provider's limits (in-flight requests, requests per minute) hold across runs.
public final class ProviderClients: Sendable {
  private let configuration: ProviderConfiguration
  private let transport: HTTPTransport
  private let retry: RetryPolicy
  private let idleTimeout: Double
  private let clients = Locked<[String: any ChatProvider]>(["echo": EchoProvider()])
  private let registry: ProviderClientRegistry?

  /// Clients for these settings; with a `registry`, clients are shared with every other set of
  /// settings that agrees on the provider's key, endpoint and limits.
  public init(
    configuration: ProviderConfiguration, transport: HTTPTransport = .shared, retry: RetryPolicy = RetryPolicy(),
    idleTimeout: Double = 30, registry: ProviderClientRegistry? = nil
  ) {
    self.registry = registry
    self.configuration = configuration
    self.transport = transport
    self.retry = retry
    self.idleTimeout = idleTimeout
  }

  /// The image-generating client for a provider; `nil` when it has no credentials or does not
  /// generate images.
  public func imageGenerator(for providerID: String) -> (any ImageGenerating)? {
    client(for: providerID) as? any ImageGenerating
  }

  /// The client for a provider, created now if needed; `nil` when it has no credentials.
  public func client(for providerID: String) -> (any ChatProvider)? {
    clients.withLock { clients in
      if let client = clients[providerID] { return client }
      guard let descriptor = ProviderDescriptor.named(providerID) else { return nil }
      let settings = configuration.effectiveSettings(for: descriptor)
      let make = { () -> (any ChatProvider)? in
        HTTPChatProvider(
          descriptor: descriptor, settings: settings, transport: self.transport, retry: self.retry,
          idleTimeout: self.idleTimeout)
      }
      guard let client = registry.map({ $0.client(descriptor, settings: settings, make: make) }) ?? make() else {
        return nil
      }
      clients[providerID] = client
      return client
    }
  }
}
