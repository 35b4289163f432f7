/// Scripting from the request itself: markers anywhere in the request body (a node's `model`,
/// its `notes`, its prompt) choose what the fake answers, so retries, failures and slow calls
/// can be tried from the command line and from flows without test code.
///
/// | marker | answer |
/// |---|---|
/// | `fake-latency-ms=N` | the usual reply, after N ms |
/// | `fake-chunk-ms=N` | streamed replies wait N ms between chunks |
/// | `fake-status=NNN` | that HTTP status with the provider's real error body (`fake-status=429`, `=500`, `=401`) |
/// | `fake-retry-after=S` | with `fake-status`: a `Retry-After: S` header |
/// | `fake-stall` | the head (when streamed) or nothing, then silence |
/// | `fake-reset` | the connection closed without an answer |
/// | `fake-malformed` | HTTP 200 with a body that is not the provider's JSON |
/// | `fake-truncated` | a stream that stops after two chunks without its end marker |
/// | `fake-midstream-error` | a stream that sends two chunks, then the provider's in-stream error |
/// | `fake-echo-auth` | a 401 whose plain-text body repeats the request's credential header |
/// | `fake-no-usage` | answers without token usage |
/// | `fake-whole-body` | one JSON body (`application/json`) even to a streamed request |
/// | `fake-sse-body` | an event stream even to a plain request |
public enum FakeMarkers {
  /// The behavior a request asks for, on top of the server's defaults.
  static func behavior(for request: RecordedRequest, provider: String, defaults: FakeProviderServer.Defaults)
    -> FakeBehavior
  {
    let body = request.body
    let latency = number(after: "fake-latency-ms=", in: body) ?? defaults.latencyMilliseconds
    let chunkDelay = number(after: "fake-chunk-ms=", in: body) ?? defaults.chunkDelayMilliseconds
    let outcome: FakeBehavior.Outcome
    if let status = number(after: "fake-status=", in: body) {
      outcome = .error(status: status, retryAfter: number(after: "fake-retry-after=", in: body).map(String.init))
    } else if contains("fake-echo-auth", in: body) {
      outcome = .echoCredential(status: 401)
    } else if contains("fake-stall", in: body) {
      outcome = .stall
    } else if contains("fake-reset", in: body) {
      outcome = .reset
    } else if contains("fake-malformed", in: body) {
      outcome = .malformedJSON
    } else if contains("fake-truncated", in: body) {
      outcome = .truncatedStream(chunks: 2)
    } else if contains("fake-midstream-error", in: body) {
      outcome = .midStreamError(chunks: 2)
    } else {
      outcome = .reply("This is a fake reply from \(provider).")
    }
    let shape: FakeBehavior.BodyShape =
      contains("fake-whole-body", in: body) ? .wholeJSON : contains("fake-sse-body", in: body) ? .eventStream : .asRequested
    return FakeBehavior(
      outcome, latencyMilliseconds: latency, chunkDelayMilliseconds: chunkDelay,
      reportsUsage: !contains("fake-no-usage", in: body), bodyShape: shape)
  }

  static func contains(_ marker: String, in body: [UInt8]) -> Bool {
    position(of: marker, in: body) != nil
  }

  /// The decimal number right after `marker`, if the marker is present.
  static func number(after marker: String, in body: [UInt8]) -> Int? {
    guard let end = position(of: marker, in: body) else { return nil }
    let digits = body[end...].prefix { (0x30...0x39).contains($0) }.prefix(9)
    return Int(String(decoding: digits, as: UTF8.self))
  }

  /// Where `marker` ends in `body`.
  private static func position(of marker: String, in body: [UInt8]) -> Int? {
    let needle = Array(marker.utf8)
    guard body.count >= needle.count else { return nil }
    for start in 0...(body.count - needle.count) where body[start] == needle[0] {
      if body[start..<start + needle.count].elementsEqual(needle) { return start + needle.count }
    }
    return nil
  }
}
