import Signals

/// The provider clients of one engine (or one connection's settings), created on first use and
/// kept, so each provider's limits (in-flight requests, requests per minute) hold across runs.
public final class ProviderClients: Sendable {
  private let configuration: ProviderConfiguration
  private let transport: HTTPTransport
  private let retry: RetryPolicy
  private let idleTimeout: Double
  private let clients = Locked<[String: any ChatProvider]>(["echo": EchoProvider()])

  /// Clients for these settings.
  public init(
    configuration: ProviderConfiguration, transport: HTTPTransport = .shared, retry: RetryPolicy = RetryPolicy(),
    idleTimeout: Double = 30
  ) {
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
      guard let descriptor = ProviderDescriptor.named(providerID),
        let client = HTTPChatProvider(
          descriptor: descriptor, settings: configuration.effectiveSettings(for: descriptor), transport: transport,
          retry: retry, idleTimeout: idleTimeout)
      else { return nil }
      clients[providerID] = client
      return client
    }
  }
}
