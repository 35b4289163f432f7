import Foundation
import JSON
import NIOHTTP1

/// When and how long to wait before trying a provider call again: up to 3 retries (4 attempts),
/// exponential backoff with jitter, or what the provider asks for (`Retry-After` in seconds or
/// as an HTTP date, Anthropic's and OpenRouter's rate-limit reset headers), capped at 60 s.
public struct RetryPolicy: Sendable {
  /// Attempts in all, the first included.
  public var maxAttempts: Int
  /// The backoff before the first retry; doubled for each further one.
  public var baseDelay: Double
  /// The longest wait, whatever the provider asks.
  public var maxDelay: Double

  /// A policy; the defaults follow nodes.md.
  public init(maxAttempts: Int = 4, baseDelay: Double = 0.5, maxDelay: Double = 60) {
    self.maxAttempts = maxAttempts
    self.baseDelay = baseDelay
    self.maxDelay = maxDelay
  }

  /// The wait before attempt `attempt + 1`, after attempt `attempt` failed.
  public func delay(afterAttempt attempt: Int, headers: HTTPHeaders?, now: Date = Date()) -> Double {
    if let headers, let asked = Self.requestedDelay(headers, now: now) { return min(max(asked, 0), maxDelay) }
    let exponential = baseDelay * pow(2, Double(attempt - 1))
    return min(maxDelay, exponential * Double.random(in: 0.5...1.0))
  }

  /// The delay a response asks for, if it asks with a finite number (`nan` and `inf` parse as
  /// doubles, and a provider or a proxy may send them; they count as not asking).
  static func requestedDelay(_ headers: HTTPHeaders, now: Date) -> Double? {
    guard let asked = askedDelay(headers, now: now), asked.isFinite else { return nil }
    return asked
  }

  private static func askedDelay(_ headers: HTTPHeaders, now: Date) -> Double? {
    if let value = headers.first(name: "retry-after")?.trimmingWhitespace() {
      if let seconds = Double(value) { return seconds }
      if let date = httpDate(value) { return date.timeIntervalSince(now) }
    }
    for name in ["anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset"] {
      if let value = headers.first(name: name), let date = rfc3339(value) { return date.timeIntervalSince(now) }
    }
    if let value = headers.first(name: "x-ratelimit-reset"), let number = Double(value) {
      // OpenRouter sends epoch milliseconds; smaller values are taken as epoch seconds.
      let epoch = number > 1e11 ? number / 1000 : number
      return epoch - now.timeIntervalSince1970
    }
    return nil
  }

  static func httpDate(_ text: String) -> Date? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    return formatter.date(from: text)
  }

  static func rfc3339(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
  }
}
