import FlowExecution
import FlowImages
import FlowProviders

/// Settings of the server-side cache.
public struct CacheSettings: Sendable, Hashable {
  /// Entries kept when `max_entries` is not set.
  public static let defaultMaxEntries = 2000

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

/// Settings of the run journal.
public struct JournalSettings: Sendable, Hashable {
  /// An absolute path of the SQLite file; no journal without it.
  public var path: String?
  /// Ended runs kept in the file; the oldest are pruned past it.
  public var maxRuns: Int?

  /// Journal settings with the given fields.
  public init(path: String? = nil, maxRuns: Int? = nil) {
    self.path = path
    self.maxRuns = maxRuns
  }

  /// These settings with every field that `higher` sets taken from it.
  public func overlaid(with higher: JournalSettings) -> JournalSettings {
    JournalSettings(path: higher.path ?? path, maxRuns: higher.maxRuns ?? maxRuns)
  }
}

/// Settings of image handling.
public struct ImagesSettings: Sendable, Hashable {
  /// Whether client-supplied image URLs may point at loopback, private or link-local addresses.
  public var allowPrivateNetworks: Bool?
  /// The longest side sent to a vision model.
  public var maxSide: Int?
  /// Where `options.images: "file"` writes images (absolute).
  public var artifactsDirectory: String?

  /// Image settings with the given fields.
  public init(allowPrivateNetworks: Bool? = nil, maxSide: Int? = nil, artifactsDirectory: String? = nil) {
    self.allowPrivateNetworks = allowPrivateNetworks
    self.maxSide = maxSide
    self.artifactsDirectory = artifactsDirectory
  }

  /// What runs use: these settings over the engine's defaults.
  public var imageSettings: ImageSettings {
    ImageSettings(
      limits: ImageLimits(maxSide: maxSide ?? ImageLimits().maxSide), allowPrivateNetworks: allowPrivateNetworks ?? false,
      artifactsDirectory: artifactsDirectory ?? ImageSettings.defaultArtifactsDirectory)
  }

  /// These settings with every field that `higher` sets taken from it.
  public func overlaid(with higher: ImagesSettings) -> ImagesSettings {
    ImagesSettings(
      allowPrivateNetworks: higher.allowPrivateNetworks ?? allowPrivateNetworks, maxSide: higher.maxSide ?? maxSide,
      artifactsDirectory: higher.artifactsDirectory ?? artifactsDirectory)
  }
}

/// Settings of the state several engine processes share.
public struct SharedStateSettings: Sendable, Hashable {
  /// A `postgres://` URL of the database shared by the engines.
  public var postgresURL: String?

  /// Shared-state settings with the given fields.
  public init(postgresURL: String? = nil) {
    self.postgresURL = postgresURL
  }

  /// These settings with every field that `higher` sets taken from it.
  public func overlaid(with higher: SharedStateSettings) -> SharedStateSettings {
    SharedStateSettings(postgresURL: higher.postgresURL ?? postgresURL)
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
  /// Output and memory limits.
  public var limits: LimitsSettings
  /// The run journal.
  public var journal: JournalSettings
  /// The state shared with other engine processes.
  public var sharedState: SharedStateSettings
  /// Image handling (`images` and the top-level `artifacts_dir`).
  public var images: ImagesSettings
  /// Per-user limits (`quotas`); `nil`: none configured, no limits.
  public var quotas: QuotaSettings?

  /// Settings with the given parts.
  public init(
    providers: ProviderConfiguration = .init(), modelDefaults: [String: ModelDefault] = [:], cache: CacheSettings = .init(),
    limits: LimitsSettings = .init(), journal: JournalSettings = .init(), sharedState: SharedStateSettings = .init(),
    images: ImagesSettings = .init(), quotas: QuotaSettings? = nil
  ) {
    self.quotas = quotas
    self.images = images
    self.providers = providers
    self.modelDefaults = modelDefaults
    self.cache = cache
    self.limits = limits
    self.journal = journal
    self.sharedState = sharedState
  }

  /// These settings with every part that `higher` sets taken from it.
  public func overlaid(with higher: EngineSettings) -> EngineSettings {
    EngineSettings(
      providers: providers.overlaid(with: higher.providers),
      modelDefaults: modelDefaults.merging(higher.modelDefaults) { _, new in new },
      cache: cache.overlaid(with: higher.cache), limits: limits.overlaid(with: higher.limits),
      journal: journal.overlaid(with: higher.journal), sharedState: sharedState.overlaid(with: higher.sharedState),
      images: images.overlaid(with: higher.images), quotas: higher.quotas ?? quotas)
  }
}
