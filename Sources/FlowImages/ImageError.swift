/// Why an image cannot be used: an `image_error` with a sentence that says what to do.
public struct ImageError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The sentence.
  public let message: String

  /// An error with its sentence.
  public init(_ message: String) {
    self.message = message
  }

  public var description: String { message }
}

/// How large an image the engine takes in.
public struct ImageLimits: Sendable, Hashable {
  /// The most bytes an encoded image may have (20 MB).
  public var maxBytes: Int
  /// The most pixels an image may decode to (decompression bombs fail before decoding).
  public var maxPixels: Int
  /// The longest side sent to a vision model; larger images are downscaled to it.
  public var maxSide: Int

  /// Limits with the engine's defaults: 20 MB, 100 megapixels, 1568 px.
  public init(maxBytes: Int = 20_000_000, maxPixels: Int = 100_000_000, maxSide: Int = 1568) {
    self.maxBytes = maxBytes
    self.maxPixels = maxPixels
    self.maxSide = maxSide
  }
}
