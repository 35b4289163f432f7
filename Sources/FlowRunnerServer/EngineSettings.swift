import FlowProviders
import JSONRPC

/// Settings of the server-side cache.
public struct CacheSettings: Sendable, Hashable {
  /// Whether results are cached at all.
  public var enabled: Bool?
  /// The in-memory LRU capacity.
  public var maxEntries: Int?
  /// An absolute path of a SQLite file that persists the cache.
  public var path: String?

  /// Cache settings with the given fields.
  public init(enabled: Bool? = nil, maxEntries: Int? = nil, path: String? = nil) {
    self.enabled = enabled
    self.maxEntries = maxEntries
    self.path = path
  }

  /// These settings with every field that `higher` sets taken from it.
  public func overlaid(with higher: CacheSettings) -> CacheSettings {
    CacheSettings(enabled: higher.enabled ?? enabled, maxEntries: higher.maxEntries ?? maxEntries, path: higher.path ?? path)
  }
}

/// Everything a client or an operator can configure: the `initialize` params and the `--config`
/// file share this shape. Sources are layered with ``overlaid(with:)``: initialize > file > environment.
public struct EngineSettings: Sendable, Hashable {
  /// Provider credentials, endpoints and limits.
  public var providers: ProviderConfiguration
  /// Provider and model per node type.
  public var modelDefaults: [String: ModelDefault]
  /// The server-side cache.
  public var cache: CacheSettings

  /// Settings with the given parts.
  public init(
    providers: ProviderConfiguration = .init(), modelDefaults: [String: ModelDefault] = [:], cache: CacheSettings = .init()
  ) {
    self.providers = providers
    self.modelDefaults = modelDefaults
    self.cache = cache
  }

  /// The member names, also the positional order of `initialize` params.
  public static let memberNames = ["client_info", "providers", "model_defaults", "cache"]

  /// Reads the `initialize` params or a config file's top-level object.
  public init(reading reader: ParamsReader) throws(ResponseError) {
    if let unknown = reader.object.keys.first(where: { !Self.memberNames.contains($0) }) {
      throw .invalidParams(
        "\(reader.path(of: unknown)) is not a known setting; use one of \(Self.memberNames.joined(separator: ", ")).")
    }
    self.init()
    if let providersReader = try reader.object("providers") {
      providers = try ProviderConfiguration(reading: providersReader)
    }
    if let defaultsReader = try reader.object("model_defaults") {
      for nodeType in defaultsReader.object.keys {
        guard let entry = try defaultsReader.object(nodeType) else { continue }
        let providerID = try entry.requiredString("provider_id")
        guard ProviderDescriptor.named(providerID) != nil else {
          throw .invalidParams(
            "\(entry.path(of: "provider_id")) names an unknown provider; known providers: \(ProviderDescriptor.knownIDs).")
        }
        modelDefaults[nodeType] = ModelDefault(providerID: providerID, model: try entry.string("model"))
      }
    }
    if let cacheReader = try reader.object("cache") {
      cache = CacheSettings(
        enabled: try cacheReader.bool("enabled"),
        maxEntries: try cacheReader.int("max_entries", minimum: 0),
        path: try cacheReader.string("path"))
      if let path = cache.path, !path.hasPrefix("/") {
        throw .invalidParams("\(cacheReader.path(of: "path")) must be an absolute path.")
      }
    }
    if let clientInfo = try reader.object("client_info") {
      _ = try clientInfo.string("name")
      _ = try clientInfo.string("version")
    }
  }

  /// These settings with every part that `higher` sets taken from it.
  public func overlaid(with higher: EngineSettings) -> EngineSettings {
    EngineSettings(
      providers: providers.overlaid(with: higher.providers),
      modelDefaults: modelDefaults.merging(higher.modelDefaults) { _, new in new },
      cache: cache.overlaid(with: higher.cache))
  }
}
