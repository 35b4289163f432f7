import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Signals

/// A response whose body was read whole, within a cap.
public struct DownloadedBody: Sendable {
  /// The status code.
  public var status: Int
  /// The headers.
  public var headers: HTTPHeaders
  /// The body.
  public var body: [UInt8]
}

/// An image fetched from a URL.
public struct DownloadedImage: Sendable {
  /// The bytes.
  public var bytes: [UInt8]
  /// The content type the server gave.
  public var contentType: String?
}

/// Why a URL gave no image, in a sentence that says what to do.
public struct ImageDownloadFailure: Error, Sendable, CustomStringConvertible {
  /// The sentence.
  public var description: String
  /// The HTTP status, when the server answered.
  public var status: Int?
  /// Whether trying again may help.
  public var retryable: Bool

  init(_ description: String, status: Int? = nil, retryable: Bool = false) {
    self.description = description
    self.status = status
    self.retryable = retryable
  }
}

/// Downloads images: URLs a provider returned (its own traffic, on the shared client) and URLs
/// a client put in a flow (checked against private networks, pinned to the checked address,
/// redirects followed by hand and each checked).
public enum ImageDownloader {
  /// One request on the shared transport with its body read whole, failing past `maxBytes`.
  static func exchange(
    url: String, method: HTTPMethod, headers: [(String, String)], body: [UInt8], transport: HTTPTransport,
    timeout: Double, maxBytes: Int
  ) async throws -> DownloadedBody {
    let received = Locked<[UInt8]>([])
    let exchange = try await transport.send(
      url: url, method: method, headers: headers, body: body, timeout: timeout, idleTimeout: nil,
      onHead: { head in
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maxBytes {
          throw ImageDownloadFailure("the response is \(length) bytes, more than the \(maxBytes) allowed")
        }
      },
      onChunk: { chunk in
        try received.withLock { bytes in
          guard bytes.count + chunk.readableBytes <= maxBytes else {
            throw ImageDownloadFailure("the response went past \(maxBytes) bytes")
          }
          bytes.append(contentsOf: chunk.readableBytesView)
        }
      })
    return DownloadedBody(status: exchange.status, headers: exchange.headers, body: received.withLock { $0 })
  }

  /// A URL a provider returned (CogView's temporary URL): fetched at once without credentials.
  public static func fetchProviderURL(_ url: String, transport: HTTPTransport, timeout: Double, maxBytes: Int)
    async throws -> DownloadedImage
  {
    guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
      throw ImageDownloadFailure("the provider's image URL is not http(s)")
    }
    let response = try await exchange(
      url: url, method: .GET, headers: [("User-Agent", "flowrunner")], body: [], transport: transport, timeout: timeout,
      maxBytes: maxBytes)
    guard response.status == 200 else {
      throw ImageDownloadFailure(
        "the image URL answered HTTP \(response.status)", status: response.status,
        retryable: response.status >= 500 || response.status == 429)
    }
    return DownloadedImage(bytes: response.body, contentType: response.headers.first(name: "content-type"))
  }

  /// The most redirects a client URL may take.
  static let maxRedirects = 5

  /// A URL a client supplied (`data.image`): http(s) only; every address its host resolves to
  /// must be public unless `allowPrivate`, and the connection goes to the address that was
  /// checked; redirects are followed (at most five), each checked the same way; the body must be
  /// an image (by content type) of at most `maxBytes`.
  public static func fetchClientURL(_ url: String, allowPrivate: Bool, timeout: Double, maxBytes: Int)
    async throws(ImageDownloadFailure) -> DownloadedImage
  {
    var current = url
    for _ in 0...maxRedirects {
      guard let parsed = URL(string: current), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
        let host = parsed.host, !host.isEmpty
      else { throw ImageDownloadFailure("the image URL must be an http:// or https:// URL with a host") }
      let address = try checkedAddress(host: host, allowPrivate: allowPrivate)
      var configuration = HTTPClient.Configuration()
      configuration.timeout = .init(connect: .seconds(10))
      configuration.redirectConfiguration = .disallow
      configuration.dnsOverride = [host: address]
      let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
      let outcome: Result<(Int, HTTPHeaders, [UInt8]), ImageDownloadFailure>
      do {
        outcome = .success(try await fetch(current, client: client, timeout: timeout, maxBytes: maxBytes))
      } catch let failure as ImageDownloadFailure {
        outcome = .failure(failure)
      } catch {
        outcome = .failure(ImageDownloadFailure("the image could not be downloaded (\(HTTPTransport.describe(error)))"))
      }
      try? await client.shutdown()
      let (status, headers, body) = try outcome.get()
      if (300..<400).contains(status), let location = headers.first(name: "location") {
        guard let next = URL(string: location, relativeTo: parsed)?.absoluteString else {
          throw ImageDownloadFailure("the image URL redirects to something that is not a URL")
        }
        current = next
        continue
      }
      guard status == 200 else {
        throw ImageDownloadFailure(
          "the image URL answered HTTP \(status); check that it is public and still valid", status: status)
      }
      let contentType = headers.first(name: "content-type")?.lowercased()
      guard contentType?.hasPrefix("image/") ?? true else {
        throw ImageDownloadFailure(
          "the image URL gave '\(contentType ?? "")', not an image; link to the image file itself")
      }
      return DownloadedImage(bytes: body, contentType: contentType)
    }
    throw ImageDownloadFailure("the image URL redirects more than \(maxRedirects) times")
  }

  private static func fetch(_ url: String, client: HTTPClient, timeout: Double, maxBytes: Int) async throws -> (
    Int, HTTPHeaders, [UInt8]
  ) {
    var request = HTTPClientRequest(url: url)
    request.headers.add(name: "User-Agent", value: "flowrunner")
    let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout * 1e9)))
    if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > maxBytes {
      throw ImageDownloadFailure("the image is \(length) bytes, more than the \(maxBytes) allowed; link to a smaller one")
    }
    var body: [UInt8] = []
    for try await chunk in response.body {
      guard body.count + chunk.readableBytes <= maxBytes else {
        throw ImageDownloadFailure("the image went past \(maxBytes) bytes; link to a smaller one")
      }
      body.append(contentsOf: chunk.readableBytesView)
    }
    return (Int(response.status.code), response.headers, body)
  }

  /// The address to connect to for `host`: its first resolved address, once every address is
  /// known to be public (or private ones are allowed).
  static func checkedAddress(host: String, allowPrivate: Bool) throws(ImageDownloadFailure) -> String {
    let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    let addresses = NetworkAddress.resolve(bare)
    guard let first = addresses.first else { throw ImageDownloadFailure("the image URL's host '\(host)' does not resolve") }
    if !allowPrivate, let refused = addresses.first(where: { !$0.isPublic }) {
      throw ImageDownloadFailure(
        "the image URL's host '\(host)' is \(refused.text), a loopback, private or link-local address; such URLs are refused unless the setting images.allow_private_networks is true"
      )
    }
    return first.text
  }
}
