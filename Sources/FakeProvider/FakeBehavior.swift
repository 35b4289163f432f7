/// What the fake provider does with one request.
public struct FakeBehavior: Sendable {
  /// The answer.
  public enum Outcome: Sendable {
    /// A successful answer with this text (streamed when the request asks for a stream).
    case reply(String)
    /// An error status with the provider's real error body for it, and optional `Retry-After`.
    case error(status: Int, retryAfter: String? = nil)
    /// An error status whose plain-text body repeats the request's credential header, as a
    /// careless proxy might.
    case echoCredential(status: Int)
    /// A stream whose first line never ends: `bytes` bytes without a newline, then the end.
    case endlessLine(bytes: Int)
    /// HTTP 200 with a body that is not JSON (or, streamed, an event that is not).
    case malformedJSON
    /// A stream that stops after `chunks` text chunks, without its end marker.
    case truncatedStream(chunks: Int)
    /// A stream that sends `chunks` text chunks, then the provider's in-stream error.
    case midStreamError(chunks: Int)
    /// The connection is closed without an answer.
    case reset
    /// The head is sent (streamed) or nothing at all, then nothing more, until the client gives up.
    case stall
  }

  /// The answer.
  public var outcome: Outcome
  /// Delay before the response head.
  public var latencyMilliseconds: Int
  /// Delay between streamed chunks.
  public var chunkDelayMilliseconds: Int
  /// Characters per streamed text chunk.
  public var chunkSize: Int
  /// Whether answers carry token usage (a provider that reports none: `false`).
  public var reportsUsage: Bool
  /// How a reply's body is shaped, whatever the request asked for.
  public var bodyShape: BodyShape

  /// What a successful reply's body looks like.
  public enum BodyShape: Sendable {
    /// A stream when the request asked for one, a JSON body otherwise (what providers do).
    case asRequested
    /// Always one JSON body (`application/json`), even to a streamed request (some gateways).
    case wholeJSON
    /// Always an event stream (`text/event-stream`), even to a plain request.
    case eventStream
  }

  /// A behavior.
  public init(
    _ outcome: Outcome, latencyMilliseconds: Int = 0, chunkDelayMilliseconds: Int = 0, chunkSize: Int = 8,
    reportsUsage: Bool = true, bodyShape: BodyShape = .asRequested
  ) {
    self.outcome = outcome
    self.latencyMilliseconds = latencyMilliseconds
    self.chunkDelayMilliseconds = chunkDelayMilliseconds
    self.chunkSize = chunkSize
    self.reportsUsage = reportsUsage
    self.bodyShape = bodyShape
  }
}

/// A request the fake provider received.
public struct RecordedRequest: Sendable {
  /// The provider, from the first path component.
  public var provider: String
  /// `POST`.
  public var method: String
  /// The path (`/mistral/v1/chat/completions`).
  public var path: String
  /// Header names (lower-cased) and values.
  public var headers: [(name: String, value: String)]
  /// The body.
  public var body: [UInt8]

  /// The first value of a header.
  public func header(_ name: String) -> String? {
    headers.first { $0.name == name.lowercased() }?.value
  }
}
