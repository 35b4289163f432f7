import CImageCodecs

/// Decoded pixels: rows top to bottom, 3 (RGB) or 4 (RGBA) channels of 8 bits.
public struct PixelBuffer: Sendable, Hashable {
  /// Width in pixels.
  public var width: Int
  /// Height in pixels.
  public var height: Int
  /// 3 or 4.
  public var channels: Int
  /// `width * height * channels` bytes.
  public var pixels: [UInt8]

  /// Pixels of the given size.
  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// Whether any pixel is not fully opaque.
  public var hasTransparency: Bool {
    guard channels == 4 else { return false }
    return stride(from: 3, to: pixels.count, by: 4).contains { pixels[$0] != 255 }
  }

  /// Decodes a JPEG, scaled down in the DCT by `scaleDenominator` (1, 2, 4 or 8).
  public static func decodeJPEG(_ bytes: [UInt8], scaleDenominator: Int = 1, maxPixels: Int) throws(ImageError)
    -> PixelBuffer
  {
    var decoded = fr_pixels()
    let message = CodecMessage.call { error, size in
      bytes.withUnsafeBufferPointer {
        fr_jpeg_decode($0.baseAddress, $0.count, Int32(scaleDenominator), maxPixels, &decoded, error, size)
      }
    }
    if let message { throw ImageError("the JPEG cannot be decoded (\(message))") }
    return take(decoded)
  }

  /// Decodes a PNG to RGB, or RGBA when it has an alpha channel.
  public static func decodePNG(_ bytes: [UInt8], maxPixels: Int) throws(ImageError) -> PixelBuffer {
    var decoded = fr_pixels()
    let message = CodecMessage.call { error, size in
      bytes.withUnsafeBufferPointer { fr_png_decode($0.baseAddress, $0.count, maxPixels, &decoded, error, size) }
    }
    if let message { throw ImageError("the PNG cannot be decoded (\(message))") }
    return take(decoded)
  }

  /// Copies decoded pixels out of the C buffer and frees it.
  private static func take(_ decoded: fr_pixels) -> PixelBuffer {
    defer { fr_free(decoded.pixels) }
    let count = Int(decoded.width) * Int(decoded.height) * Int(decoded.channels)
    let pixels = decoded.pixels.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    return PixelBuffer(
      width: Int(decoded.width), height: Int(decoded.height), channels: Int(decoded.channels), pixels: pixels)
  }

  /// The pixels as a baseline JPEG of `quality`, without metadata (alpha is dropped).
  public func encodeJPEG(quality: Int = 85) throws(ImageError) -> [UInt8] {
    let rgb = channels == 3 ? pixels : droppingAlpha()
    var output: UnsafeMutablePointer<UInt8>?
    var outputSize = 0
    let message = CodecMessage.call { error, size in
      rgb.withUnsafeBufferPointer {
        fr_jpeg_encode($0.baseAddress, Int32(width), Int32(height), Int32(quality), &output, &outputSize, error, size)
      }
    }
    return try Self.collect(output, outputSize, message, "JPEG")
  }

  /// The pixels as a PNG, without metadata.
  public func encodePNG() throws(ImageError) -> [UInt8] {
    var output: UnsafeMutablePointer<UInt8>?
    var outputSize = 0
    let message = CodecMessage.call { error, size in
      pixels.withUnsafeBufferPointer {
        fr_png_encode($0.baseAddress, Int32(width), Int32(height), Int32(channels), &output, &outputSize, error, size)
      }
    }
    return try Self.collect(output, outputSize, message, "PNG")
  }

  private static func collect(
    _ output: UnsafeMutablePointer<UInt8>?, _ size: Int, _ message: String?, _ format: String
  ) throws(ImageError) -> [UInt8] {
    defer { fr_free(output) }
    if let message { throw ImageError("the image cannot be encoded as \(format) (\(message))") }
    guard let output else { throw ImageError("the image cannot be encoded as \(format)") }
    return Array(UnsafeBufferPointer(start: output, count: size))
  }

  private func droppingAlpha() -> [UInt8] {
    var rgb = [UInt8]()
    rgb.reserveCapacity(width * height * 3)
    for index in stride(from: 0, to: pixels.count, by: 4) {
      rgb.append(pixels[index])
      rgb.append(pixels[index + 1])
      rgb.append(pixels[index + 2])
    }
    return rgb
  }
}
