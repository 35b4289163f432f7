import JSON

/// An API key. It prints as `<redacted>` in every description so that it cannot reach a log,
/// an error message or a response by accident; only ``revealedForRequest`` gives the text,
/// for the one place it belongs: an outgoing request header.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
  private let value: String

  /// Wraps key text; empty text is not a key, and neither is text with a control character
  /// inside it (it could not go into a header, and an HTTP library would echo it in its error).
  public init?(_ value: String) {
    let trimmed = value.trimmingWhitespace()
    guard !trimmed.isEmpty, !Self.hasControlCharacters(trimmed) else { return nil }
    self.value = trimmed
  }

  /// Whether key text (white space around it aside) holds a control character (CR, LF, NUL,
  /// ESC, DEL, …).
  public static func hasControlCharacters(_ text: String) -> Bool {
    text.trimmingWhitespace().unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
  }

  /// The key text, for an Authorization or x-api-key header and nothing else.
  public var revealedForRequest: String { value }

  public var description: String { "<redacted>" }
  public var debugDescription: String { "<redacted>" }
}
