import CImageCodecs

/// What an image's header tells without decoding it.
public struct ImageHeader: Sendable, Hashable {
  /// The format.
  public var format: ImageFormat
  /// Pixel width, as stored (before any EXIF rotation).
  public var width: Int
  /// Pixel height, as stored.
  public var height: Int
  /// Whether the image may have transparent pixels (PNG with alpha, GIF and WebP count as such
  /// only where the header says so).
  public var hasAlpha: Bool

  /// Reads the header of `bytes`; throws when the format is not recognized or the header is
  /// damaged.
  public static func read(_ bytes: [UInt8]) throws(ImageError) -> ImageHeader {
    guard let format = ImageFormat.sniff(bytes) else {
      throw ImageError("the data is not a JPEG, PNG, GIF or WebP image")
    }
    switch format {
    case .jpeg:
      var width: Int32 = 0
      var height: Int32 = 0
      let message = CodecMessage.call { error, size in
        bytes.withUnsafeBufferPointer { fr_jpeg_dimensions($0.baseAddress, $0.count, &width, &height, error, size) }
      }
      guard message == nil else { throw ImageError("the JPEG cannot be read (\(message ?? ""))") }
      return ImageHeader(format: .jpeg, width: Int(width), height: Int(height), hasAlpha: false)
    case .png:
      var width: Int32 = 0
      var height: Int32 = 0
      var alpha: Int32 = 0
      let message = CodecMessage.call { error, size in
        bytes.withUnsafeBufferPointer { fr_png_dimensions($0.baseAddress, $0.count, &width, &height, &alpha, error, size) }
      }
      guard message == nil else { throw ImageError("the PNG cannot be read (\(message ?? ""))") }
      return ImageHeader(format: .png, width: Int(width), height: Int(height), hasAlpha: alpha != 0)
    case .gif:
      guard bytes.count >= 10 else { throw ImageError("the GIF is cut short") }
      return ImageHeader(
        format: .gif, width: Int(bytes[6]) | Int(bytes[7]) << 8, height: Int(bytes[8]) | Int(bytes[9]) << 8,
        hasAlpha: true)
    case .webp:
      return try webp(bytes)
    }
  }

  /// The size from a WebP's first chunk: `VP8 ` (lossy), `VP8L` (lossless) or `VP8X` (extended).
  private static func webp(_ bytes: [UInt8]) throws(ImageError) -> ImageHeader {
    guard bytes.count >= 30 else { throw ImageError("the WebP is cut short") }
    let chunk = String(decoding: bytes[12..<16], as: UTF8.self)
    func little(_ offset: Int, _ count: Int) -> Int {
      (0..<count).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }
    switch chunk {
    case "VP8 ":
      return ImageHeader(
        format: .webp, width: little(26, 2) & 0x3FFF, height: little(28, 2) & 0x3FFF, hasAlpha: false)
    case "VP8L":
      let bits = little(21, 4)
      return ImageHeader(
        format: .webp, width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1, hasAlpha: (bits >> 28) & 1 == 1)
    case "VP8X":
      return ImageHeader(
        format: .webp, width: little(24, 3) + 1, height: little(27, 3) + 1, hasAlpha: bytes[20] & 0x10 != 0)
    default:
      throw ImageError("the WebP's first chunk '\(chunk)' is not one this engine reads")
    }
  }
}

/// Calls into the C codecs with a message buffer.
enum CodecMessage {
  /// Runs `body` with an error buffer; returns `nil` when it returned 0, else the message.
  static func call(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    let code = buffer.withUnsafeMutableBufferPointer { pointer -> Int32 in
      guard let base = pointer.baseAddress else { return -1 }
      return body(base, pointer.count)
    }
    guard code != 0 else { return nil }
    let text = buffer.withUnsafeBufferPointer { pointer in
      String(decoding: pointer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return text.isEmpty ? "error \(code)" : text
  }
}
