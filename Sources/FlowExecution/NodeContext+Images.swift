import FlowGraph
import FlowImages
import FlowProviders
import Foundation
import JSON

extension NodeContext {
  /// The encoded image the node takes in: from its first image edge, else from `data.image`
  /// (an `Image` object, a `data:` URL, an absolute file path or an http(s) URL).
  public func inputImage() async throws(NodeError) -> [UInt8] {
    let limits = services.images.limits
    if let image = inputs.images.first {
      if let data = image.data { return data }
      if let path = image.path { return try readImageFile(path, limits: limits) }
    }
    switch node.data["image"] {
    case .object(let object)?:
      if let encoded = object["base64"]?.stringValue {
        guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
          throw imageError("data.image.base64 is not valid base64")
        }
        return try checkedSize([UInt8](data), limits: limits)
      }
      if let path = object["path"]?.stringValue { return try readImageFile(path, limits: limits) }
    case .string(let text)?:
      if text.hasPrefix("data:") { return try decodeDataURL(text, limits: limits) }
      if text.hasPrefix("/") { return try readImageFile(text, limits: limits) }
      let lowered = text.lowercased()
      if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
        do {
          return try await ImageDownloader.fetchClientURL(
            text, allowPrivate: services.images.allowPrivateNetworks, timeout: 120, maxBytes: limits.maxBytes
          ).bytes
        } catch {
          try? Task.checkCancellation()
          if Task.isCancelled { throw NodeError(.providerNetworkError, "The image download was cancelled.") }
          throw imageError("data.image: \(error.description)")
        }
      }
    default:
      break
    }
    throw NodeError(
      .missingInput,
      "Node '\(node.id)' (\(node.type)) has no image: connect an image edge or set data.image (an Image, a data: URL, an absolute path or an http(s) URL)."
    )
  }

  /// `bytes` made ready for the vision model of `providerID`: upright, scaled to fit the
  /// `max_side` setting, re-encoded (or passed through where the provider takes the format).
  public func visionImage(_ bytes: [UInt8], providerID: String) throws(NodeError) -> ChatImage {
    let descriptor = ProviderDescriptor.named(providerID)
    let passThrough = Set((descriptor?.visionPassThrough ?? []).compactMap(ImageFormat.init(rawValue:)))
    let prepared: EncodedImage
    do {
      prepared = try VisionImage.prepare(bytes, limits: services.images.limits, passThrough: passThrough)
    } catch {
      throw imageError(error.message)
    }
    if let descriptor, prepared.bytes.count > descriptor.visionMaxBytes {
      throw imageError(
        "the image is \(prepared.bytes.count) bytes, more than the \(descriptor.visionMaxBytes) \(providerID) takes; send a smaller one, or a PNG or JPEG the engine can scale"
      )
    }
    return ChatImage(mimeType: prepared.format.mimeType, bytes: prepared.bytes, sha256: prepared.sha256)
  }

  /// An `image_error` of this node.
  func imageError(_ message: String) -> NodeError {
    NodeError(.imageError, "Node '\(node.id)' (\(node.type)): \(message).")
  }

  private func checkedSize(_ bytes: [UInt8], limits: ImageLimits) throws(NodeError) -> [UInt8] {
    guard bytes.count <= limits.maxBytes else {
      throw imageError("the image is \(bytes.count) bytes, more than the \(limits.maxBytes) allowed; send a smaller one")
    }
    return bytes
  }

  private func decodeDataURL(_ text: String, limits: ImageLimits) throws(NodeError) -> [UInt8] {
    guard let comma = text.firstIndex(of: ",") else { throw imageError("data.image is a data: URL without a comma") }
    let header = text[text.index(text.startIndex, offsetBy: 5)..<comma]
    guard header.hasSuffix(";base64") else {
      throw imageError("data.image is a data: URL that is not base64 (use data:image/png;base64,...)")
    }
    guard let data = Data(base64Encoded: String(text[text.index(after: comma)...]), options: .ignoreUnknownCharacters)
    else { throw imageError("data.image's data: URL does not decode as base64") }
    return try checkedSize([UInt8](data), limits: limits)
  }

  private func readImageFile(_ path: String, limits: ImageLimits) throws(NodeError) -> [UInt8] {
    guard path.hasPrefix("/") else { throw imageError("the image path '\(path)' is not absolute") }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    guard let size else { throw imageError("the image file \(path) cannot be read (missing, or no permission)") }
    guard size <= limits.maxBytes else {
      throw imageError("the image file \(path) is \(size) bytes, more than the \(limits.maxBytes) allowed")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw imageError("the image file \(path) cannot be read")
    }
    return try checkedSize([UInt8](data), limits: limits)
  }
}

extension NodeContext {
  /// Resolves the node's image model, asks it for an image of `request`'s prompt and size, and
  /// checks what comes back is an image within the limits. The output holds the image
  /// (written to `artifacts_dir` with `options.images: "file"`).
  /// With the engine's cache, an image stored under the same key (template, provider, model,
  /// prompt and parameters) answers instead of a call; `use` and `refresh` store what the call
  /// returns. `template` names the prompt template and its version.
  public func generateImage(
    prompt: String, width: Int?, height: Int?, seed: Int?, negativePrompt: String?, template: String
  ) async throws -> NodeOutput {
    let choice = try ModelResolver.resolve(
      node: node, flowProviderID: flowProviderID, services: services, use: .imageGeneration)
    guard let generator = services.clients.imageGenerator(for: choice.providerID) else {
      throw NodeError(
        .providerNotConfigured, "\(choice.providerID): no client could be made; check its API key and base URL.",
        providerID: choice.providerID)
    }
    if ProviderDescriptor.named(choice.providerID)?.imageAPI == .cogView, width != nil || height != nil,
      let problem = CogViewSize.problem(width: width ?? 1024, height: height ?? 1024)
    {
      throw NodeError(.invalidData, "Node '\(node.id)' (imageGenerator): \(problem).", providerID: choice.providerID)
    }
    let request = ImageGenerationRequest(
      model: choice.model, prompt: prompt, width: width, height: height, seed: seed, negativePrompt: negativePrompt)
    var key: CacheKey?
    // `echo` answers offline and costs nothing: it is never cached.
    if let cache = services.cache, options.cache != .off, choice.providerID != ModelResolver.dryRunProvider {
      let cacheKey = CacheKey(
        nodeType: node.type, executorVersion: executorVersion, template: template, providerID: choice.providerID,
        imageRequest: request)
      key = cacheKey
      if options.cache == .use, let cached = await cache.lookup(cacheKey)?.image {
        let image = ImageValue(
          mimeType: cached.mimeType, width: cached.width, height: cached.height, data: cached.bytes,
          byteCount: cached.bytes.count, sha256: cached.sha256)
        var output = NodeOutput(image: try deliver(image), model: choice)
        output.cacheKey = cacheKey.hex
        return output
      }
    }
    let nodeID = node.id
    let nodeType = node.type
    let limits = services.images.limits
    let emit = self.emit
    let meter = self.meter
    let gated =
      choice.providerID == ModelResolver.dryRunProvider
      ? nil : services.gate.map { $0.call(nodeID: nodeID, providerID: choice.providerID, estimate: 0, emit: emit) }
    let observer = CallObserver(
      onAttempt: { _ in meter.recordCall() },
      onRetry: { attempt, reason in
        emit(.nodeStatus(nodeID: nodeID, status: .retrying, reason: reason, attempt: attempt))
      },
      admit: Self.admission(gated))
    // The image is checked inside the call, so only an image the engine can use is stored
    // and shared; identical generations in flight at once (any runs) make one request.
    let call: @Sendable () async throws(ProviderError) -> ImageValue = { () async throws(ProviderError) -> ImageValue in
      let generated = try await generator.generateImage(request, observer: observer)
      do throws(NodeError) {
        return try Self.checkedImage(generated.bytes, providerID: choice.providerID, limits: limits)
      } catch {
        throw ProviderError(
          code: error.code.rawValue, message: error.message, providerID: choice.providerID, httpStatus: error.httpStatus,
          retryable: false)
      }
    }
    let image: ImageValue
    var source = ResponseCache.Source.called
    do {
      if let key, let cache = services.cache {
        (image, source) = try await cache.sharedCall(key, call: call) { image in
          image.data.map { data in
            ResponseCache.Entry(
              text: "", nodeType: nodeType,
              image: ResponseCache.CachedImage(
                mimeType: image.mimeType, width: image.width, height: image.height, sha256: image.sha256, bytes: data))
          }
        }
      } else {
        image = try await call()
      }
    } catch let error as ProviderError {
      try Task.checkCancellation()
      throw NodeError(
        NodeError.Code(rawValue: error.code) ?? .internalError, error.message, providerID: error.providerID,
        httpStatus: error.httpStatus, retryable: error.retryable)
    }
    if source == .shared, let key {
      var output = NodeOutput(image: try deliver(image), model: choice)
      output.cacheKey = key.hex
      return output
    }
    return NodeOutput(image: try deliver(image), model: choice)
  }

  /// The image value for provider-returned bytes, after checking they are an image the engine
  /// can describe, within the limits.
  static func checkedImage(_ bytes: [UInt8], providerID: String, limits: ImageLimits) throws(NodeError) -> ImageValue {
    guard bytes.count <= limits.maxBytes else {
      throw NodeError(
        .providerBadResponse, "\(providerID): the generated image is \(bytes.count) bytes, more than \(limits.maxBytes).",
        providerID: providerID)
    }
    let header: ImageHeader
    do {
      header = try ImageHeader.read(bytes)
    } catch {
      throw NodeError(
        .providerBadResponse, "\(providerID): the generated image cannot be read: \(error.message).",
        providerID: providerID)
    }
    // A header can be whole while the pixels are cut short: decode JPEG and PNG to be sure.
    do {
      switch header.format {
      case .jpeg: _ = try PixelBuffer.decodeJPEG(bytes, scaleDenominator: 8, maxPixels: limits.maxPixels)
      case .png: _ = try PixelBuffer.decodePNG(bytes, maxPixels: limits.maxPixels)
      case .gif, .webp: break
      }
    } catch {
      throw NodeError(
        .providerBadResponse, "\(providerID): the generated image is damaged: \(error.message).", providerID: providerID)
    }
    return ImageValue(
      mimeType: header.format.mimeType, width: header.width, height: header.height, data: bytes, byteCount: bytes.count,
      sha256: EncodedImage.sha256(bytes))
  }

  /// The image as the run delivers it: with `options.images: "file"` written once under
  /// `artifacts_dir` as `<sha256>.<ext>` (atomically; an existing file is kept) with its `path`.
  func deliver(_ image: ImageValue) throws(NodeError) -> ImageValue {
    guard options.images == .file, let data = image.data else { return image }
    let directory = services.images.artifactsDirectory
    let fileExtension = image.mimeType.split(separator: "/").last.map(String.init) ?? "bin"
    let path = "\(directory)/\(image.sha256).\(fileExtension == "jpeg" ? "jpg" : fileExtension)"
    var delivered = image
    delivered.path = path
    if FileManager.default.fileExists(atPath: path) { return delivered }
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let temporary = "\(directory)/.\(image.sha256).\(UUID().uuidString).partial"
      try Data(data).write(to: URL(fileURLWithPath: temporary))
      if rename(temporary, path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(atPath: temporary)
        throw NodeError(.imageError, "The image could not be moved into \(directory) (\(reason)).")
      }
    } catch let error as NodeError {
      throw error
    } catch {
      throw NodeError(
        .imageError, "The image could not be written under artifacts_dir \(directory) (\(error.localizedDescription)).")
    }
    return delivered
  }
}
