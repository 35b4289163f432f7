import FlowImages
import Signals

/// Provider clients shared by every set of settings that resolves to the same provider, key,
/// endpoint and limits: the connection's own settings and each run's `options.providers` get
/// the same client when they agree, and a separate one (with its own in-flight limit and rate
/// window) when the key or endpoint differs, so one user's key never takes another's slots.
/// Clients are found by a digest of their settings; the key itself is not kept as a name.
public final class ProviderClientRegistry: Sendable {
  private let clients = Locked<[String: any ChatProvider]>([:])

  /// An empty registry.
  public init() {}

  /// The client for `descriptor` with `settings`, made by `make` on first use.
  func client(
    _ descriptor: ProviderDescriptor, settings: ProviderSettings, make: () -> (any ChatProvider)?
  ) -> (any ChatProvider)? {
    let name = Self.fingerprint(descriptor.id, settings)
    return clients.withLock { clients in
      if let client = clients[name] { return client }
      guard let client = make() else { return nil }
      clients[name] = client
      return client
    }
  }

  static func fingerprint(_ providerID: String, _ settings: ProviderSettings) -> String {
    let parts = [
      providerID, settings.apiKey?.revealedForRequest ?? "", settings.baseURL ?? "",
      String(settings.maxConcurrency ?? 0), String(settings.requestsPerMinute ?? 0),
      String(settings.timeoutSeconds ?? 0),
    ]
    // 64 hex digits (two a byte): no two digests share a name.
    return EncodedImage.sha256(Array(parts.joined(separator: "\u{0}").utf8))
  }
}
