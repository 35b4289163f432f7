import JSONRPC

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

  /// Settings with the given fields.
  public init(
    apiKey: APIKey? = nil, baseURL: String? = nil, defaultModel: String? = nil, maxConcurrency: Int? = nil,
    requestsPerMinute: Int? = nil, timeoutSeconds: Double? = nil
  ) {
    self.apiKey = apiKey
    self.baseURL = baseURL
    self.defaultModel = defaultModel
    self.maxConcurrency = maxConcurrency
    self.requestsPerMinute = requestsPerMinute
    self.timeoutSeconds = timeoutSeconds
  }

  /// These settings with every field that `higher` sets taken from it.
  public func overlaid(with higher: ProviderSettings) -> ProviderSettings {
    ProviderSettings(
      apiKey: higher.apiKey ?? apiKey,
      baseURL: higher.baseURL ?? baseURL,
      defaultModel: higher.defaultModel ?? defaultModel,
      maxConcurrency: higher.maxConcurrency ?? maxConcurrency,
      requestsPerMinute: higher.requestsPerMinute ?? requestsPerMinute,
      timeoutSeconds: higher.timeoutSeconds ?? timeoutSeconds)
  }

  /// Reads one provider's settings object (`providers.<id>` in `initialize` or the config file).
  /// Messages name the offending field and never contain a value.
  public init(reading reader: ParamsReader) throws(ResponseError) {
    let known: Set = ["api_key", "base_url", "default_model", "max_concurrency", "requests_per_minute", "timeout_seconds"]
    if let unknown = reader.object.keys.first(where: { !known.contains($0) }) {
      throw .invalidParams(
        "\(reader.path(of: unknown)) is not a provider setting; use one of \(known.sorted().joined(separator: ", ")).")
    }
    self.init(
      apiKey: try reader.string("api_key").flatMap(APIKey.init),
      baseURL: try reader.string("base_url").map(Self.validatedBaseURL(path: reader.path(of: "base_url"))),
      defaultModel: try reader.string("default_model"),
      maxConcurrency: try reader.int("max_concurrency", minimum: 1),
      requestsPerMinute: try reader.int("requests_per_minute", minimum: 1),
      timeoutSeconds: try reader.double("timeout_seconds"))
    if let timeoutSeconds, !(timeoutSeconds > 0) {
      throw .invalidParams("\(reader.path(of: "timeout_seconds")) must be greater than 0.")
    }
  }

  private static func validatedBaseURL(path: String) -> (String) throws(ResponseError) -> String {
    { url throws(ResponseError) in
      guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
        throw .invalidParams("\(path) must be an http:// or https:// URL.")
      }
      return url.hasSuffix("/") ? String(url.dropLast()) : url
    }
  }
}
