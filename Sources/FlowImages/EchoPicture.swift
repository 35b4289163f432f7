import Crypto

/// The `echo` provider's pictures: small deterministic PNGs drawn from the prompt's SHA-256 (two
/// colors in a diagonal gradient under a 4×4 grid of blocks, one block per digest bit), so the
/// same prompt always gives the same picture and different prompts give different ones.
public enum EchoPicture {
  /// The longest side of an echo picture.
  public static let longestSide = 64

  /// The picture for `prompt`, with the aspect ratio of `width` × `height` when given.
  public static func png(prompt: String, width: Int? = nil, height: Int? = nil) throws(ImageError) -> EncodedImage {
    let (pictureWidth, pictureHeight) = size(width: width, height: height)
    let digest = Array(SHA256.hash(data: Array(prompt.utf8)))
    let first = (Float(digest[0]), Float(digest[1]), Float(digest[2]))
    let second = (Float(digest[3]), Float(digest[4]), Float(digest[5]))
    let blocks = UInt16(digest[6]) << 8 | UInt16(digest[7])
    var pixels = [UInt8]()
    pixels.reserveCapacity(pictureWidth * pictureHeight * 3)
    for y in 0..<pictureHeight {
      for x in 0..<pictureWidth {
        let mix = Float(x + y) / Float(max(1, pictureWidth + pictureHeight - 2))
        let block = (y * 4 / pictureHeight) * 4 + x * 4 / pictureWidth
        let lit = blocks >> UInt16(block) & 1 == 1
        for (a, b) in [(first.0, second.0), (first.1, second.1), (first.2, second.2)] {
          let value = a + (b - a) * mix
          pixels.append(UInt8(lit ? 255 - value * 0.5 : value))
        }
      }
    }
    let buffer = PixelBuffer(width: pictureWidth, height: pictureHeight, channels: 3, pixels: pixels)
    return EncodedImage(format: .png, width: pictureWidth, height: pictureHeight, bytes: try buffer.encodePNG())
  }

  /// `width` × `height` scaled so the longest side is ``longestSide`` (64 × 64 without them).
  static func size(width: Int?, height: Int?) -> (Int, Int) {
    guard let width, let height, width > 0, height > 0 else { return (longestSide, longestSide) }
    let scale = Double(longestSide) / Double(max(width, height))
    return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())))
  }
}
