import Foundation
import JSON
import NIOCore
import NIOHTTP1
import Signals

extension HTTPChatProvider: ImageGenerating {
  /// The most bytes a generated image (or the JSON around it) may have.
  static let imageBodyLimit = 20_000_000

  public func generateImage(_ request: ImageGenerationRequest, observer: CallObserver) async throws(ProviderError)
    -> GeneratedImage
  {
    guard let imageAPI, imageAPI != .offline else {
      throw ProviderError(code: "provider_not_configured", message: "\(id) does not generate images.", providerID: id)
    }
    return try await retrying(observer: observer) { attempt in
      observer.onAttempt(attempt)
      return try await self.imageAttempt(request, api: imageAPI)
    }
  }

  /// Where images are asked for: Hugging Face's inference route beside its chat route (the
  /// base URL without `/v1`), or CogView's `images/generations` under the GLM base URL.
  func imageEndpoint(_ api: ProviderDescriptor.ImageAPI, model: String) -> String {
    switch api {
    case .huggingFace:
      let root = baseURL.hasSuffix("/v1") ? String(baseURL.dropLast(3)) : baseURL
      return root + "/hf-inference/models/" + model
    case .cogView, .offline:
      return baseURL + "/images/generations"
    }
  }

  func imageBody(_ request: ImageGenerationRequest, api: ProviderDescriptor.ImageAPI) -> [UInt8] {
    switch api {
    case .huggingFace:
      var parameters = JSONObject()
      if let width = request.width { parameters["width"] = .int(width) }
      if let height = request.height { parameters["height"] = .int(height) }
      if let seed = request.seed { parameters["seed"] = .int(seed) }
      if let negative = request.negativePrompt { parameters["negative_prompt"] = .string(negative) }
      return JSONSerializer.serialize(["inputs": .string(request.prompt), "parameters": .object(parameters)])
    case .cogView, .offline:
      var object: JSONObject = ["model": .string(request.model), "prompt": .string(request.prompt)]
      object["size"] = .string("\(request.width ?? 1024)x\(request.height ?? 1024)")
      return JSONSerializer.serialize(.object(object))
    }
  }

  private func imageAttempt(_ request: ImageGenerationRequest, api: ProviderDescriptor.ImageAPI) async throws
    -> GeneratedImage
  {
    let response: DownloadedBody
    do {
      response = try await limiter.run {
        try await ImageDownloader.exchange(
          url: self.imageEndpoint(api, model: request.model), method: .POST, headers: self.headers,
          body: self.imageBody(request, api: api), transport: self.transport, timeout: self.timeout,
          maxBytes: Self.imageBodyLimit)
      }
    } catch let failure as TransportFailure {
      throw AttemptFailure(error: providerError(failure))
    } catch let failure as ImageDownloadFailure {
      throw AttemptFailure(error: ProviderError(code: "provider_bad_response", message: "\(id): \(failure)", providerID: id))
    }
    guard response.status == 200 else {
      throw AttemptFailure(
        error: ProviderErrorMapping.error(providerID: id, status: response.status, body: response.body),
        headers: response.headers)
    }
    let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
    if contentType.hasPrefix("image/") { return GeneratedImage(bytes: response.body, contentType: contentType) }
    // JSON: `{"data":[{"b64_json"}]}`, `{"data":[{"url"}]}` or `{"images":[{"url"}]}`.
    guard let json = try? JSONParser.parse(response.body) else {
      throw AttemptFailure(
        error: ProviderError(
          code: "provider_bad_response", message: "\(id): the image response is neither an image nor JSON.", providerID: id))
    }
    if let error = ProviderErrorMapping.embeddedError(providerID: id, json: json) { throw AttemptFailure(error: error) }
    let first = json["data"]?.arrayValue?.first ?? json["images"]?.arrayValue?.first
    if let encoded = first?["b64_json"]?.stringValue {
      guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
        throw AttemptFailure(
          error: ProviderError(
            code: "provider_bad_response", message: "\(id): the image's base64 does not decode.", providerID: id))
      }
      return GeneratedImage(bytes: [UInt8](data))
    }
    guard let url = first?["url"]?.stringValue else {
      throw AttemptFailure(
        error: ProviderError(
          code: "provider_bad_response", message: "\(id): the image response holds no image, base64 or URL.",
          providerID: id))
    }
    // A temporary URL: fetched at once, as the provider's own traffic, without the key (it may
    // point at another host).
    do {
      let downloaded = try await ImageDownloader.fetchProviderURL(
        url, transport: transport, timeout: timeout, maxBytes: Self.imageBodyLimit)
      return GeneratedImage(bytes: downloaded.bytes, contentType: downloaded.contentType)
    } catch let failure as ImageDownloadFailure {
      throw AttemptFailure(
        error: ProviderError(
          code: "provider_bad_response", message: "\(id): the generated image could not be fetched: \(failure).",
          providerID: id, httpStatus: failure.status, retryable: failure.retryable))
    } catch let failure as TransportFailure {
      throw AttemptFailure(error: providerError(failure))
    }
  }

  private func providerError(_ failure: TransportFailure) -> ProviderError {
    switch failure {
    case .requestTimeout(let seconds):
      ProviderError(
        code: "provider_timeout", message: "\(id): no complete answer within \(Int(seconds)) s (timeout_seconds).",
        providerID: id)
    case .streamIdle(let seconds):
      ProviderError(code: "provider_timeout", message: "\(id): nothing arrived for \(Int(seconds)) s.", providerID: id)
    case .network(let reason):
      ProviderError(
        code: "provider_network_error", message: "\(id): network error: \(reason).", providerID: id, retryable: true)
    }
  }
}
