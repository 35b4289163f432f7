import Foundation
import JSON
import NIOCore
import NIOHTTP1
import Signals

/// A provider reached over HTTP: the OpenAI-compatible chat completions API (mistral, glm,
/// openrouter, huggingface) or the Anthropic Messages API (claude), with retries, limits,
/// timeouts and streaming.
public final class HTTPChatProvider: ChatProvider {
  public let id: String
  private let format: WireFormat
  let baseURL: String
  let apiKey: APIKey
  let timeout: Double
  private let idleTimeout: Double
  let retry: RetryPolicy
  let limiter: RequestLimiter
  let transport: HTTPTransport
  private let asksForStreamUsage: Bool
  /// How it generates images, if it does.
  let imageAPI: ProviderDescriptor.ImageAPI?

  /// A client for one provider with its effective settings; `nil` when it has no key or base URL.
  public init?(
    descriptor: ProviderDescriptor, settings: ProviderSettings, transport: HTTPTransport = .shared,
    retry: RetryPolicy = RetryPolicy(), idleTimeout: Double = 30
  ) {
    guard let apiKey = settings.apiKey, let baseURL = settings.baseURL else { return nil }
    switch descriptor.kind {
    case .openAICompatible: format = .openAICompatible
    case .anthropic: format = .anthropic
    case .offline: return nil
    }
    id = descriptor.id
    asksForStreamUsage = descriptor.asksForStreamUsage
    imageAPI = descriptor.imageAPI
    self.apiKey = apiKey
    self.baseURL = baseURL
    timeout = settings.timeoutSeconds ?? 120
    self.idleTimeout = idleTimeout
    self.retry = retry
    limiter = RequestLimiter(maxConcurrency: settings.maxConcurrency ?? 8, requestsPerMinute: settings.requestsPerMinute)
    self.transport = transport
  }

  var headers: [(String, String)] {
    var headers = [("Content-Type", "application/json"), ("User-Agent", "flowrunner")]
    switch format {
    case .openAICompatible:
      headers.append(("Authorization", "Bearer \(apiKey.revealedForRequest)"))
      if id == "openrouter" {
        headers.append(("HTTP-Referer", "https://github.com/flowrunner/flowrunner"))
        headers.append(("X-Title", "flowrunner"))
      }
    case .anthropic:
      headers.append(("x-api-key", apiKey.revealedForRequest))
      headers.append(("anthropic-version", "2023-06-01"))
    }
    return headers
  }

  public func complete(_ request: ChatRequest, observer: CallObserver) async throws(ProviderError) -> ChatResponse {
    try await retrying(observer: observer) { attempt in
      try await self.attemptCall(request, attempt: attempt, observer: observer)
    }
  }

  /// Runs `attempt` (numbered from 1) until it succeeds, fails for good, or the retries are
  /// spent, sleeping between attempts as the retry policy and the response headers say.
  func retrying<Value: Sendable>(
    observer: CallObserver, _ attempt: @Sendable (Int) async throws -> Value
  ) async throws(ProviderError) -> Value {
    var number = 1
    while true {
      do {
        // A refusal is final: it is not the provider's answer, and waiting would not change it.
        try await observer.admit?(number)
        return try await attempt(number)
      } catch let failure as AttemptFailure {
        let error = scrubbed(failure.error)
        guard error.retryable, number < retry.maxAttempts else { throw error }
        let delay = retry.delay(afterAttempt: number, headers: failure.headers)
        number += 1
        observer.onRetry(number, error.message)
        do {
          try await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
        } catch {
          throw cancelled()
        }
      } catch let error as ProviderError {
        throw scrubbed(error)
      } catch {
        throw cancelled()
      }
    }
  }

  /// The error with the key taken out of its message: a provider (or a proxy in front of it)
  /// may repeat the credential in its error body, and the message goes to the client.
  func scrubbed(_ error: ProviderError) -> ProviderError {
    let key = apiKey.revealedForRequest
    guard error.message.contains(key) else { return error }
    var clean = error
    clean.message = error.message.replacingOccurrences(of: key, with: "<redacted>")
    return clean
  }

  func cancelled() -> ProviderError {
    ProviderError(code: "provider_network_error", message: "\(id): the call was cancelled.", providerID: id)
  }

  /// A failed attempt, with the response headers that may say when to retry.
  struct AttemptFailure: Error {
    var error: ProviderError
    var headers: HTTPHeaders?
  }

  private func attemptCall(_ request: ChatRequest, attempt: Int, observer: CallObserver) async throws -> ChatResponse {
    let stream = observer.onDelta != nil
    let body = format.body(request, stream: stream, askForUsage: asksForStreamUsage)
    let url = format.endpoint(base: baseURL)
    let state = Locked(AttemptState())
    let format = self.format
    let providerID = id
    observer.onAttempt(attempt)
    let exchange: HTTPExchange
    do {
      exchange = try await limiter.run {
        try await self.transport.send(
          url: url, headers: self.headers, body: body, timeout: self.timeout, idleTimeout: stream ? self.idleTimeout : nil,
          onHead: { head in
            // What the body is goes by its content type, not by what was asked: a gateway may
            // answer a streamed request with one JSON body, or a plain one with events.
            let contentType = head.headers.first(name: "content-type")?.lowercased() ?? ""
            state.withLock {
              $0.status = head.status
              // Events when said so, or, for a streamed request, whenever the body is not JSON
              // (a gateway that streams without the header).
              $0.isEventStream =
                contentType.contains("text/event-stream") || (stream && !contentType.contains("json"))
            }
          },
          onChunk: { chunk in
            let pieces = try state.withLock { state -> [String] in
              guard state.status == 200, state.isEventStream else {
                let limit = state.status == 200 ? Self.wholeBodyLimit : 1 << 20
                state.body.append(contentsOf: chunk.readableBytesView.prefix(max(0, limit - state.body.count)))
                return []
              }
              state.streamedBytes += chunk.readableBytes
              guard state.streamedBytes <= Self.streamBodyLimit else {
                throw ProviderError(
                  code: "provider_bad_response",
                  message: "\(providerID): the stream went past \(Self.streamBodyLimit >> 20) MiB without ending.",
                  providerID: providerID)
              }
              var pieces: [String] = []
              let events = state.parser.feed(chunk.readableBytesView)
              guard !state.parser.overflowed else {
                throw ProviderError(
                  code: "provider_bad_response",
                  message: "\(providerID): a stream event went past \(state.parser.maximumEventBytes >> 20) MiB.",
                  providerID: providerID)
              }
              for event in events {
                if let piece = try state.accumulator.apply(event, format: format, providerID: providerID) { pieces.append(piece) }
              }
              return pieces
            }
            for piece in pieces { observer.onDelta?(attempt, piece) }
          })
      }
    } catch let failure as TransportFailure {
      switch failure {
      case .requestTimeout(let seconds):
        throw AttemptFailure(
          error: ProviderError(
            code: "provider_timeout", message: "\(id): no complete answer within \(Int(seconds)) s (timeout_seconds).",
            providerID: id))
      case .streamIdle(let seconds):
        throw AttemptFailure(
          error: ProviderError(
            code: "provider_timeout", message: "\(id): the stream sent nothing for \(Int(seconds)) s.", providerID: id))
      case .network(let reason):
        throw AttemptFailure(
          error: ProviderError(
            code: "provider_network_error", message: "\(id): network error: \(reason).", providerID: id, retryable: true))
      }
    } catch let error as ProviderError {
      throw AttemptFailure(error: error)
    }
    let finished = state.withLock { $0 }
    guard exchange.status == 200 else {
      throw AttemptFailure(
        error: ProviderErrorMapping.error(providerID: id, status: exchange.status, body: finished.body), headers: exchange.headers
      )
    }
    if finished.isEventStream {
      guard finished.accumulator.ended else {
        throw AttemptFailure(
          error: ProviderError(
            code: "provider_bad_response", message: "\(id): the stream ended before the provider finished its answer.",
            providerID: id, retryable: true))
      }
      return finished.accumulator.response
    }
    let json: JSONValue
    do {
      json = try JSONParser.parse(finished.body)
    } catch {
      throw AttemptFailure(
        error: ProviderError(
          code: "provider_bad_response", message: "\(id): the response is not valid JSON (\(error)).", providerID: id))
    }
    let response: ChatResponse
    do {
      response = try format.parseResponse(json, providerID: id)
    } catch {
      throw AttemptFailure(error: error)
    }
    // A streamed request answered whole: its text is still shown as it arrived, in one piece.
    if stream, !response.text.isEmpty { observer.onDelta?(attempt, response.text) }
    return response
  }

  /// The most of a successful, non-streamed body kept (a larger answer is a bad response).
  static let wholeBodyLimit = 16 << 20
  /// The most bytes a streamed body may have before the call fails as a bad response.
  static let streamBodyLimit = 16 << 20

  private struct AttemptState: Sendable {
    var status = 0
    var isEventStream = false
    var streamedBytes = 0
    var body: [UInt8] = []
    var parser = SSEParser()
    var accumulator = StreamAccumulator()
  }
}
