/// A text-to-image request, provider-neutral.
public struct ImageGenerationRequest: Sendable, Hashable {
  /// The model id.
  public var model: String
  /// The prompt.
  public var prompt: String
  /// Pixel width, if asked for.
  public var width: Int?
  /// Pixel height, if asked for.
  public var height: Int?
  /// A seed, for providers that take one.
  public var seed: Int?
  /// What the image should not show, for providers that take it.
  public var negativePrompt: String?

  /// A request.
  public init(
    model: String, prompt: String, width: Int? = nil, height: Int? = nil, seed: Int? = nil, negativePrompt: String? = nil
  ) {
    self.model = model
    self.prompt = prompt
    self.width = width
    self.height = height
    self.seed = seed
    self.negativePrompt = negativePrompt
  }
}

/// The encoded image a provider returned (checked and described by the caller).
public struct GeneratedImage: Sendable, Hashable {
  /// The bytes as returned.
  public var bytes: [UInt8]
  /// The content type the provider gave, if any.
  public var contentType: String?

  /// An image.
  public init(bytes: [UInt8], contentType: String? = nil) {
    self.bytes = bytes
    self.contentType = contentType
  }
}

/// A provider that turns prompts into images.
public protocol ImageGenerating: Sendable {
  /// The provider id.
  var id: String { get }
  /// Generates one image, retrying where the provider's answer allows it; cancelling the
  /// calling Task cancels the call.
  func generateImage(_ request: ImageGenerationRequest, observer: CallObserver) async throws(ProviderError)
    -> GeneratedImage
}

/// The sizes CogView accepts: each side 512–2048 and divisible by 16.
public enum CogViewSize {
  /// Why `width` × `height` cannot be sent to CogView, or `nil` when it can.
  public static func problem(width: Int, height: Int) -> String? {
    for (name, side) in [("width", width), ("height", height)] where !(512...2048).contains(side) || side % 16 != 0 {
      return "\(name) \(side) is not a CogView size: each side must be 512–2048 and divisible by 16"
    }
    return nil
  }
}
