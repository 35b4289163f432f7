import FlowProviders
import JSON
import JSONRPC

/// `providers.list`: → `{providers: [{id, kind, configured, default_model, images}]}`; never a key.
enum ProvidersListMethod: RequestCodec {
  typealias Params = NoParams
  static let method = "providers.list"

  static func encode(_ configuration: ProviderConfiguration) -> JSONValue {
    ["providers": providers(configuration)]
  }

  /// The provider list, also `initialize`'s `capabilities.providers`.
  static func providers(_ configuration: ProviderConfiguration) -> JSONValue {
    .array(
      ProviderDescriptor.all.map { descriptor in
        [
          "id": .string(descriptor.id),
          "kind": .string(descriptor.kind.rawValue),
          "configured": .bool(configuration.isConfigured(descriptor)),
          "default_model": .string(configuration.effectiveSettings(for: descriptor).defaultModel ?? descriptor.defaultModel),
          "images": .bool(descriptor.supportsImages),
        ]
      })
  }
}
