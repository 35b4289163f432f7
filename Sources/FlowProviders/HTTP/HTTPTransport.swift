import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One HTTP exchange with a provider, as the clients see it.
public struct HTTPExchange: Sendable {
  /// The response status code.
  public var status: Int
  /// The response headers.
  public var headers: HTTPHeaders
}

/// Why an exchange did not produce a response.
public enum TransportFailure: Error, Sendable {
  /// The whole request exceeded `timeout_seconds`.
  case requestTimeout(seconds: Double)
  /// A streamed body went quiet for longer than the idle timeout.
  case streamIdle(seconds: Double)
  /// Connecting, sending or receiving failed.
  case network(String)
}

/// The shared HTTP layer: one `HTTPClient` for every provider, a connect timeout of 10 s, a
/// whole-request timeout, an idle timeout between body chunks, and cancellation that tears the
/// connection down (cancelling the calling Task cancels the request).
public final class HTTPTransport: Sendable {
  /// The process-wide client; it lives as long as the process.
  public static let shared = HTTPTransport()

  private let client: HTTPClient

  /// A transport with its own client.
  public init(connectTimeout: TimeAmount = .seconds(10)) {
    var configuration = HTTPClient.Configuration()
    configuration.timeout = .init(connect: connectTimeout)
    // Each provider's own limiter decides how many requests are in flight; the pool must not
    // hold them back below that.
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024
    // A refused or unreachable connection fails its attempt at once; the provider client's own
    // retry schedule decides what happens next (the pool would retry silently until the connect
    // timeout, ten seconds an attempt).
    configuration.connectionPool.retryConnectionEstablishment = false
    client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
  }

  /// Shuts the client down: in-flight requests fail, connections close. Call once, at exit.
  public func shutdown() async {
    do {
      try await client.shutdown()
    } catch {
      // Already shut down: nothing left to close.
    }
  }

  /// Sends a request and streams the body to `onChunk`, all within `timeout`. With an
  /// `idleTimeout` (streams), it also fails when, once the response has begun, nothing arrives
  /// for that long; a plain request has only the whole-request timeout, however long the
  /// provider takes to compose its one body. Returns the status and headers once the body has
  /// ended.
  public func send(
    url: String, method: HTTPMethod = .POST, headers: [(String, String)], body: [UInt8], timeout: Double,
    idleTimeout: Double?, onHead: @escaping @Sendable (HTTPExchange) throws -> Void,
    onChunk: @escaping @Sendable (ByteBuffer) throws -> Void
  ) async throws -> HTTPExchange {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    request.body = .bytes(ByteBuffer(bytes: body))
    let lastProgress = ProgressClock()
    let client = self.client
    let prepared = request
    return try await withThrowingTaskGroup(of: HTTPExchange?.self) { group in
      group.addTask {
        let response = try await client.execute(prepared, timeout: .nanoseconds(Int64(timeout * 1e9)))
        let exchange = HTTPExchange(status: Int(response.status.code), headers: response.headers)
        try onHead(exchange)
        lastProgress.touch()
        for try await chunk in response.body {
          lastProgress.touch()
          try onChunk(chunk)
        }
        return exchange
      }
      group.addTask {
        // The watchdog: the whole-request deadline and, for streams, the idle timeout counted
        // from the response head on.
        let deadline = Self.nowNanoseconds() + Int64(timeout * 1e9)
        let period = min(idleTimeout ?? timeout, timeout)
        while true {
          try await Task.sleep(for: .milliseconds(Int64(period * 250).clamped(to: 5...1000)))
          let now = Self.nowNanoseconds()
          if now >= deadline { throw TransportFailure.requestTimeout(seconds: timeout) }
          if let idleTimeout, let last = lastProgress.last, now - last >= Int64(idleTimeout * 1e9) {
            throw TransportFailure.streamIdle(seconds: idleTimeout)
          }
        }
      }
      defer { group.cancelAll() }
      do {
        while let result = try await group.next() {
          if let exchange = result { return exchange }
        }
      } catch let error as HTTPClientError where error == .deadlineExceeded {
        throw TransportFailure.requestTimeout(seconds: timeout)
      } catch let error as TransportFailure {
        throw error
      } catch is CancellationError {
        throw CancellationError()
      } catch let error as HTTPClientError where error == .cancelled {
        if Task.isCancelled { throw CancellationError() }
        throw TransportFailure.network("the request was cancelled")
      } catch let error as ProviderError {
        throw error
      } catch {
        if Task.isCancelled { throw CancellationError() }
        throw TransportFailure.network(Self.describe(error))
      }
      throw TransportFailure.network("the response ended unexpectedly")
    }
  }

  static func nowNanoseconds() -> Int64 {
    Int64(DispatchTime.now().uptimeNanoseconds)
  }

  /// A short phrase for a network error, without request details (no URL, no headers, no
  /// nested error dumps): "connection refused", "host unreachable".
  static func describe(_ error: any Error) -> String {
    switch error {
    case let error as IOError: return reason(errno: error.errnoCode)
    case let error as NIOConnectionError:
      if let first = error.connectionErrors.first { return describe(first.error) }
      if error.dnsAError != nil || error.dnsAAAAError != nil { return "the host name could not be resolved" }
      return "the connection could not be made"
    case let error as HTTPClientError:
      switch error {
      case .connectTimeout: return "connecting timed out"
      case .remoteConnectionClosed: return "the provider closed the connection"
      case .readTimeout: return "reading the response timed out"
      case .tlsHandshakeTimeout: return "the TLS handshake timed out"
      case .invalidURL, .emptyHost, .emptyScheme: return "the base URL is not usable"
      default: return "the HTTP exchange failed"
      }
    default:
      return String(describing: error).lowercased().contains("refused") ? "connection refused" : "the connection failed"
    }
  }

  /// The OS's reason for a socket error, as a lower-case phrase.
  static func reason(errno code: Int32) -> String {
    switch code {
    case ECONNREFUSED: "connection refused"
    case EHOSTUNREACH: "host unreachable"
    case ENETUNREACH: "network unreachable"
    case ECONNRESET: "the provider reset the connection"
    case ETIMEDOUT: "the connection timed out"
    case EPIPE: "the provider closed the connection"
    default: String(cString: strerror(code)).lowercased()
    }
  }
}

/// When the last sign of life (response head, body chunk) arrived.
final class ProgressClock: Sendable {
  /// 0 until the response has begun.
  private let value = Atomic<Int64>(0)
  func touch() { value.store(HTTPTransport.nowNanoseconds(), ordering: .relaxed) }
  /// When the last sign of life arrived, or `nil` before the response began.
  var last: Int64? {
    let last = value.load(ordering: .relaxed)
    return last == 0 ? nil : last
  }
}

extension Comparable {
  func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
