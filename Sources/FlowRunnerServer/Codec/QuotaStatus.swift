import FlowExecution
import JSON
import JSONRPC

/// `quota.status`: `{quota_key}` → `{quota_key, live_runs, calls_last_minute, tokens_today,
/// limits: {max_live_runs?, provider_calls_per_minute?, tokens_per_day?}}`.
enum QuotaStatusMethod: RequestCodec {
  static let method = "quota.status"
  static let positionalNames = ["quota_key"]

  static func decode(_ params: MessageParams?) throws(ResponseError) -> String {
    try reader(params).requiredString("quota_key")
  }

  static func encode(_ status: (key: String, usage: QuotaUsage, limits: QuotaLimits?)) -> JSONValue {
    var limits = JSONObject()
    if let max = status.limits?.maxLiveRuns { limits["max_live_runs"] = .int(max) }
    if let perMinute = status.limits?.providerCallsPerMinute { limits["provider_calls_per_minute"] = .int(perMinute) }
    if let perDay = status.limits?.tokensPerDay { limits["tokens_per_day"] = .int(perDay) }
    return [
      "quota_key": .string(status.key), "live_runs": .int(status.usage.liveRuns),
      "calls_last_minute": .int(status.usage.callsLastMinute), "tokens_today": .int(status.usage.tokensToday),
      "limits": .object(limits),
    ]
  }

  /// The `-32005` for a start over `max_live_runs`.
  static func refusal(_ denial: QuotaDenial, key: String?) -> ResponseError {
    var data: JSONObject = ["limit": .string(denial.limit), "max": .int(denial.max)]
    if let retry = denial.retryAfterMilliseconds { data["retry_after_ms"] = .int(retry) }
    let owner = key.map { "Quota key '\($0)'" } ?? "The default quota"
    return ResponseError(
      code: .quotaExceeded,
      message:
        "\(owner) has \(denial.max) live run\(denial.max == 1 ? "" : "s") already (\(denial.limit)); start this one when one of them ends.",
      data: .object(data))
  }
}
