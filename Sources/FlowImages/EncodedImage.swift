import Crypto

/// An encoded image with what describes it: format, size and SHA-256 of its bytes.
public struct EncodedImage: Sendable, Hashable {
  /// The format.
  public var format: ImageFormat
  /// Pixel width.
  public var width: Int
  /// Pixel height.
  public var height: Int
  /// The encoded bytes.
  public var bytes: [UInt8]

  /// An image of `bytes`.
  public init(format: ImageFormat, width: Int, height: Int, bytes: [UInt8]) {
    self.format = format
    self.width = width
    self.height = height
    self.bytes = bytes
  }

  /// 64 lowercase hex digits of the SHA-256 of the bytes.
  public var sha256: String { Self.sha256(bytes) }

  /// 64 lowercase hex digits of the SHA-256 of `bytes`.
  public static func sha256(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in SHA256.hash(data: bytes) {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}

/// Prepares an image for a vision model: checked against the limits, decoded, turned upright
/// by its EXIF orientation, downscaled to fit `maxSide` (JPEGs first in the DCT, by 1/2, 1/4 or
/// 1/8, then by area averaging) and re-encoded without metadata: JPEG quality 85, or PNG when it
/// has transparent pixels. GIF and WebP pass through unchanged when the provider takes them and
/// they fit; otherwise they are refused with what to do.
public enum VisionImage {
  /// The image to send for `bytes`.
  public static func prepare(_ bytes: [UInt8], limits: ImageLimits = .init(), passThrough: Set<ImageFormat> = [])
    throws(ImageError) -> EncodedImage
  {
    guard bytes.count <= limits.maxBytes else {
      throw ImageError("the image is \(bytes.count) bytes, more than the \(limits.maxBytes) allowed; send a smaller one")
    }
    let header = try ImageHeader.read(bytes)
    let (width, height) = (header.width, header.height)
    guard width > 0, height > 0 else { throw ImageError("the image has no pixels (\(width)x\(height))") }
    guard width.multipliedReportingOverflow(by: height).partialValue <= limits.maxPixels,
      width <= 1 << 20, height <= 1 << 20
    else {
      throw ImageError(
        "the image is \(width)x\(height) pixels, more than the \(limits.maxPixels) allowed; send a smaller one")
    }
    let longest = max(width, height)
    switch header.format {
    case .gif, .webp:
      let name = header.format.rawValue.uppercased()
      guard passThrough.contains(header.format) else {
        throw ImageError("this provider does not take \(name) images; convert the image to PNG or JPEG")
      }
      guard longest <= limits.maxSide else {
        throw ImageError(
          "the \(name) image is \(width)x\(height), larger than \(limits.maxSide) px a side; convert it to PNG or JPEG (which the engine downscales) or send a smaller one"
        )
      }
      return EncodedImage(format: header.format, width: width, height: height, bytes: bytes)
    case .jpeg, .png:
      let scale = min(1, Double(limits.maxSide) / Double(longest))
      let targetWidth = max(1, Int((Double(width) * scale).rounded()))
      let targetHeight = max(1, Int((Double(height) * scale).rounded()))
      var buffer: PixelBuffer
      var orientation = 1
      if header.format == .jpeg {
        orientation = ExifOrientation.read(jpeg: bytes)
        let denominator = [8, 4, 2].first { denominator in
          (width + denominator - 1) / denominator >= targetWidth && (height + denominator - 1) / denominator >= targetHeight
        }
        buffer = try PixelBuffer.decodeJPEG(bytes, scaleDenominator: denominator ?? 1, maxPixels: limits.maxPixels)
      } else {
        buffer = try PixelBuffer.decodePNG(bytes, maxPixels: limits.maxPixels)
      }
      buffer = AreaResampler.downscale(buffer, width: targetWidth, height: targetHeight)
      buffer = ExifOrientation.apply(orientation, to: buffer)
      if buffer.hasTransparency {
        return EncodedImage(format: .png, width: buffer.width, height: buffer.height, bytes: try buffer.encodePNG())
      }
      return EncodedImage(
        format: .jpeg, width: buffer.width, height: buffer.height, bytes: try buffer.encodeJPEG(quality: 85))
    }
  }
}
