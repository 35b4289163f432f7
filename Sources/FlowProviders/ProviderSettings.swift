/// The settings of one provider from one source (environment, config file or `initialize`).
/// Every field is optional so that sources can be layered: a field set by a higher source wins.
public struct ProviderSettings: Sendable, Hashable {
  /// The credential.
  public var apiKey: APIKey?
  /// A base URL replacing the real API's.
  public var baseURL: String?
  /// The model used when a node names none.
  public var defaultModel: String?
  /// In-flight requests allowed at once.
  public var maxConcurrency: Int?
  /// Requests allowed per minute.
  public var requestsPerMinute: Int?
  /// Whole-request timeout in seconds.
  public var timeoutSeconds: Double?
  /// The model `imageDescriber` uses when a node names none (a vision model).
  public var visionModel: String?
  /// The model `imageGenerator` uses when a node names none.
  public var imageModel: String?

  /// Settings with the given fields.
  public init(
    apiKey: APIKey? = nil, baseURL: String? = nil, defaultModel: String? = nil, maxConcurrency: Int? = nil,
    requestsPerMinute: Int? = nil, timeoutSeconds: Double? = nil, visionModel: String? = nil, imageModel: String? = nil
  ) {
    self.visionModel = visionModel
    self.imageModel = imageModel
    self.apiKey = apiKey
    self.baseURL = baseURL
    self.defaultModel = defaultModel
    self.maxConcurrency = maxConcurrency
    self.requestsPerMinute = requestsPerMinute
    self.timeoutSeconds = timeoutSeconds
  }

  /// Allowed `max_concurrency` values.
  public static let maxConcurrencyRange = 1...1024
  /// Allowed `requests_per_minute` values.
  public static let requestsPerMinuteRange = 1...1_000_000
  /// Allowed `timeout_seconds` values: a millisecond to a day.
  public static let timeoutRange = 0.001...86_400.0

  /// These settings with every field that `higher` sets taken from it.
  public func overlaid(with higher: ProviderSettings) -> ProviderSettings {
    ProviderSettings(
      apiKey: higher.apiKey ?? apiKey,
      baseURL: higher.baseURL ?? baseURL,
      defaultModel: higher.defaultModel ?? defaultModel,
      maxConcurrency: higher.maxConcurrency ?? maxConcurrency,
      requestsPerMinute: higher.requestsPerMinute ?? requestsPerMinute,
      timeoutSeconds: higher.timeoutSeconds ?? timeoutSeconds, visionModel: higher.visionModel ?? visionModel,
      imageModel: higher.imageModel ?? imageModel)
  }
}
