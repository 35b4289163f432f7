import FlowExecution
import FlowPersistence
import FlowProviders
import JSON
import JSONRPC

extension EngineSettings {
  /// The member names, also the positional order of `initialize` params.
  static let memberNames = [
    "client_info", "providers", "model_defaults", "cache", "limits", "journal", "shared_state", "images", "artifacts_dir",
    "quotas",
  ]

  /// Reads the `initialize` params or a config file's top-level object. Messages name the
  /// offending field and never contain a submitted value.
  public init(reading reader: ParamsReader) throws(ResponseError) {
    if let unknown = reader.object.keys.first(where: { !Self.memberNames.contains($0) }) {
      throw .invalidParams(
        "\(reader.path(of: unknown)) is not a known setting\(Self.suggestion(unknown, Self.memberNames)); use one of \(Self.memberNames.joined(separator: ", "))."
      )
    }
    self.init()
    if let providersReader = try reader.object("providers") {
      providers = try ProviderConfiguration(reading: providersReader)
    }
    if let defaultsReader = try reader.object("model_defaults") {
      for nodeType in defaultsReader.object.keys {
        guard let entry = try defaultsReader.object(nodeType) else { continue }
        modelDefaults[nodeType] = ModelDefault(
          providerID: try entry.requiredString("provider_id", oneOf: ProviderDescriptor.all.map(\.id)),
          model: try entry.string("model"))
      }
    }
    if let cacheReader = try reader.object("cache") {
      cache = CacheSettings(
        enabled: try cacheReader.bool("enabled"),
        maxEntries: try cacheReader.int("max_entries", in: 0...100_000_000),
        path: try cacheReader.string("path"))
      if let path = cache.path, !path.hasPrefix("/") {
        throw .invalidParams("\(cacheReader.path(of: "path")) must be an absolute path.")
      }
    }
    if let journalReader = try reader.object("journal") {
      let known = ["path", "max_runs"]
      if let unknown = journalReader.object.keys.first(where: { !known.contains($0) }) {
        throw .invalidParams(
          "\(journalReader.path(of: unknown)) is not a journal setting; use one of \(known.joined(separator: ", ")).")
      }
      journal = JournalSettings(
        path: try journalReader.string("path"), maxRuns: try journalReader.int("max_runs", in: 1...10_000_000))
      if let path = journal.path, !path.hasPrefix("/") {
        throw .invalidParams("\(journalReader.path(of: "path")) must be an absolute path.")
      }
    }
    if let quotasReader = try reader.object("quotas") {
      quotas = try QuotaSettings(reading: quotasReader)
    }
    if let imagesReader = try reader.object("images") {
      let known = ["allow_private_networks", "max_side"]
      if let unknown = imagesReader.object.keys.first(where: { !known.contains($0) }) {
        throw .invalidParams(
          "\(imagesReader.path(of: unknown)) is not an image setting; use one of \(known.joined(separator: ", ")).")
      }
      images.allowPrivateNetworks = try imagesReader.bool("allow_private_networks")
      images.maxSide = try imagesReader.int("max_side", in: 16...8000)
    }
    if let directory = try reader.string("artifacts_dir") {
      guard directory.hasPrefix("/") else {
        throw .invalidParams("\(reader.path(of: "artifacts_dir")) must be an absolute path.")
      }
      images.artifactsDirectory = directory
    }
    if let sharedReader = try reader.object("shared_state") {
      if let unknown = sharedReader.object.keys.first(where: { $0 != "postgres_url" }) {
        throw .invalidParams("\(sharedReader.path(of: unknown)) is not a shared-state setting; use postgres_url.")
      }
      sharedState = SharedStateSettings(postgresURL: try sharedReader.string("postgres_url"))
      if let url = sharedState.postgresURL {
        do throws(PostgresURLError) {
          _ = try PostgresURL(url)
        } catch {
          throw .invalidParams("\(sharedReader.path(of: "postgres_url")) cannot be used: \(error) (the URL is not shown).")
        }
      }
    }
    if let limitsReader = try reader.object("limits") {
      let known = ["max_output_bytes", "max_run_output_bytes", "max_remembered_bytes"]
      if let unknown = limitsReader.object.keys.first(where: { !known.contains($0) }) {
        throw .invalidParams(
          "\(limitsReader.path(of: unknown)) is not a limit this engine applies; use one of \(known.joined(separator: ", ")).")
      }
      limits = LimitsSettings(
        maxOutputBytes: try limitsReader.int("max_output_bytes", in: RunLimits.range),
        maxRunOutputBytes: try limitsReader.int("max_run_output_bytes", in: RunLimits.range),
        maxRememberedBytes: try limitsReader.int("max_remembered_bytes", in: LimitsSettings.rememberedRange))
    }
    if let clientInfo = try reader.object("client_info") {
      _ = try clientInfo.string("name")
      _ = try clientInfo.string("version")
    }
  }

  static func suggestion(_ name: String, _ known: [String]) -> String {
    guard let match = known.first(where: { $0.lowercased() == name.lowercased() || $0.replacingUnderscores == name })
    else { return "" }
    return "; did you mean '\(match)'?"
  }
}

extension String {
  /// `maxConcurrency` for `max_concurrency`: the camelCase a client may have sent by mistake.
  fileprivate var replacingUnderscores: String {
    var result = ""
    var upper = false
    for character in self {
      if character == "_" {
        upper = true
      } else {
        result.append(upper ? Character(character.uppercased()) : character)
        upper = false
      }
    }
    return result
  }
}

extension ProviderConfiguration {
  /// Reads a `providers` object (`{"mistral": {...}, ...}`); unknown provider ids are rejected.
  init(reading reader: ParamsReader) throws(ResponseError) {
    var settings: [String: ProviderSettings] = [:]
    let known = ProviderDescriptor.all.map(\.id)
    for key in reader.object.keys {
      guard known.contains(key) else {
        throw .invalidParams(
          "\(reader.path(of: key)) names an unknown provider; known providers: \(known.joined(separator: ", ")).")
      }
      guard let nested = try reader.object(key) else { continue }
      settings[key] = try ProviderSettings(reading: nested)
    }
    self.init(settings: settings)
  }
}

extension QuotaSettings {
  /// Reads `quotas`: `{default?, keys?: {<key>: limits}, on_store_error?}` (from `initialize`,
  /// the config file, or `FLOWRUNNER_QUOTAS`).
  public init(reading reader: ParamsReader) throws(ResponseError) {
    let known = ["default", "keys", "on_store_error"]
    if let unknown = reader.object.keys.first(where: { !known.contains($0) }) {
      throw .invalidParams("\(reader.path(of: unknown)) is not a quota setting; use one of \(known.joined(separator: ", ")).")
    }
    self.init()
    if let limits = try reader.object("default") { defaultLimits = try QuotaLimits(reading: limits) }
    if let keys = try reader.object("keys") {
      for key in keys.object.keys {
        guard let limits = try keys.object(key) else { continue }
        self.keys[key] = try QuotaLimits(reading: limits)
      }
    }
    if let policy = try reader.string("on_store_error", oneOf: StoreErrorPolicy.allCases.map(\.rawValue)) {
      onStoreError = StoreErrorPolicy(rawValue: policy) ?? .open
    }
  }
}

extension QuotaLimits {
  /// Reads one key's limits: `{max_live_runs?, provider_calls_per_minute?, tokens_per_day?}`.
  init(reading reader: ParamsReader) throws(ResponseError) {
    let known = ["max_live_runs", "provider_calls_per_minute", "tokens_per_day"]
    if let unknown = reader.object.keys.first(where: { !known.contains($0) }) {
      throw .invalidParams("\(reader.path(of: unknown)) is not a quota limit; use one of \(known.joined(separator: ", ")).")
    }
    self.init(
      maxLiveRuns: try reader.int("max_live_runs", in: 1...1_000_000),
      providerCallsPerMinute: try reader.int("provider_calls_per_minute", in: 1...1_000_000),
      tokensPerDay: try reader.int("tokens_per_day", in: 1...1_000_000_000_000))
  }
}

extension ProviderConfiguration {
  /// Reads `options.providers`: per provider only `api_key`, `base_url` and `default_model`,
  /// for one run. Messages never repeat a value.
  init(runScoped reader: ParamsReader) throws(ResponseError) {
    let allowed = ["api_key", "base_url", "default_model"]
    for key in reader.object.keys {
      if let nested = try reader.object(key),
        let unknown = nested.object.keys.first(where: { !allowed.contains($0) })
      {
        throw .invalidParams(
          "\(nested.path(of: unknown)) cannot be set for one run; use \(allowed.joined(separator: ", ")).")
      }
    }
    try self.init(reading: reader)
    if let echo = settings["echo"], echo.apiKey != nil || echo.baseURL != nil {
      throw .invalidParams("\(reader.path(of: "echo")) takes no key or base URL.")
    }
  }
}

extension ProviderSettings {
  static let memberNames = [
    "api_key", "base_url", "default_model", "max_concurrency", "requests_per_minute", "timeout_seconds",
    "vision_model", "image_model",
  ]

  /// Reads one provider's settings object (`providers.<id>` in `initialize` or the config file).
  init(reading reader: ParamsReader) throws(ResponseError) {
    if let unknown = reader.object.keys.first(where: { !Self.memberNames.contains($0) }) {
      throw .invalidParams(
        "\(reader.path(of: unknown)) is not a provider setting\(EngineSettings.suggestion(unknown, Self.memberNames)); use one of \(Self.memberNames.joined(separator: ", "))."
      )
    }
    var baseURL: String?
    if let url = try reader.string("base_url") {
      guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
        throw .invalidParams("\(reader.path(of: "base_url")) must be an http:// or https:// URL.")
      }
      baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
    }
    let key = try reader.string("api_key")
    if let key, APIKey.hasControlCharacters(key) {
      throw .invalidParams(
        "\(reader.path(of: "api_key")) holds a control character; a key is printable text (the key is not shown).")
    }
    self.init(
      apiKey: key.flatMap(APIKey.init),
      baseURL: baseURL,
      defaultModel: try reader.string("default_model"),
      maxConcurrency: try reader.int("max_concurrency", in: Self.maxConcurrencyRange),
      requestsPerMinute: try reader.int("requests_per_minute", in: Self.requestsPerMinuteRange),
      timeoutSeconds: try reader.double("timeout_seconds", in: Self.timeoutRange, unit: "seconds"),
      visionModel: try reader.string("vision_model"), imageModel: try reader.string("image_model"))
  }
}
