/// The settings of every provider, layered from the environment, a config file and `initialize`.
public struct ProviderConfiguration: Sendable, Hashable {
  /// Settings by provider id; a provider without an entry uses its built-in defaults.
  public private(set) var settings: [String: ProviderSettings]

  /// A configuration with these settings.
  public init(settings: [String: ProviderSettings] = [:]) {
    self.settings = settings
  }

  /// What the environment variables of the nodes.md provider table say.
  public static func fromEnvironment(_ environment: [String: String]) -> ProviderConfiguration {
    var settings: [String: ProviderSettings] = [:]
    for descriptor in ProviderDescriptor.all {
      var entry = ProviderSettings()
      entry.apiKey = descriptor.apiKeyVariables.lazy.compactMap { environment[$0].flatMap(APIKey.init) }.first
      if let variable = descriptor.baseURLVariable, let url = environment[variable], !url.isEmpty {
        entry.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
      }
      if entry != ProviderSettings() { settings[descriptor.id] = entry }
    }
    return ProviderConfiguration(settings: settings)
  }

  /// This configuration with every field that `higher` sets taken from it, provider by provider.
  public func overlaid(with higher: ProviderConfiguration) -> ProviderConfiguration {
    var merged = settings
    for (id, entry) in higher.settings {
      merged[id] = (merged[id] ?? ProviderSettings()).overlaid(with: entry)
    }
    return ProviderConfiguration(settings: merged)
  }

  /// The effective settings of a provider, built-in defaults filled in.
  public func effectiveSettings(for descriptor: ProviderDescriptor) -> ProviderSettings {
    let entry = settings[descriptor.id] ?? ProviderSettings()
    return ProviderSettings(
      apiKey: entry.apiKey,
      baseURL: entry.baseURL ?? descriptor.defaultBaseURL,
      defaultModel: entry.defaultModel ?? descriptor.defaultModel,
      maxConcurrency: entry.maxConcurrency ?? 8,
      requestsPerMinute: entry.requestsPerMinute,
      timeoutSeconds: entry.timeoutSeconds ?? 120, visionModel: entry.visionModel ?? descriptor.visionModel,
      imageModel: entry.imageModel ?? descriptor.imageModel)
  }

  /// Whether a provider can be called: it has credentials, or needs none.
  public func isConfigured(_ descriptor: ProviderDescriptor) -> Bool {
    !descriptor.needsCredentials || settings[descriptor.id]?.apiKey != nil
  }
}
