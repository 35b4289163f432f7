/// Why a node failed: the `error` of `execution.node.failed`.
public struct NodeError: Error, Sendable, Hashable {
  /// The node error codes of the protocol.
  public enum Code: String, Sendable {
    case providerNotConfigured = "provider_not_configured"
    case providerHTTPError = "provider_http_error"
    case providerRateLimited = "provider_rate_limited"
    case providerTimeout = "provider_timeout"
    case providerBadResponse = "provider_bad_response"
    case providerNetworkError = "provider_network_error"
    case missingInput = "missing_input"
    case invalidData = "invalid_data"
    case imageError = "image_error"
    case quotaExceeded = "quota_exceeded"
    case budgetExceeded = "budget_exceeded"
    case outputTooLarge = "output_too_large"
    case internalError = "internal_error"
  }

  /// The code.
  public var code: Code
  /// One sentence a person can act on.
  public var message: String
  /// The provider involved.
  public var providerID: String?
  /// The provider's HTTP status.
  public var httpStatus: Int?
  /// Whether trying again may succeed.
  public var retryable: Bool?

  /// A node error.
  public init(_ code: Code, _ message: String, providerID: String? = nil, httpStatus: Int? = nil, retryable: Bool? = nil) {
    self.code = code
    self.message = message
    self.providerID = providerID
    self.httpStatus = httpStatus
    self.retryable = retryable
  }
}
