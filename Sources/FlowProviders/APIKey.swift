import JSON

/// An API key. It prints as `<redacted>` in every description so that it cannot reach a log,
/// an error message or a response by accident; only ``revealedForRequest`` gives the text,
/// for the one place it belongs: an outgoing request header.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
  private let value: String

  /// Wraps key text; empty text is not a key.
  public init?(_ value: String) {
    let trimmed = value.trimmingWhitespace()
    guard !trimmed.isEmpty else { return nil }
    self.value = trimmed
  }

  /// The key text, for an Authorization or x-api-key header and nothing else.
  public var revealedForRequest: String { value }

  public var description: String { "<redacted>" }
  public var debugDescription: String { "<redacted>" }
}
