import FakeProvider
import FlowImages
import Testing

/// Image processing on the system's libjpeg-turbo and libpng: headers, decoding, area-average
/// downscaling, EXIF orientation, the vision pipeline and its limits.
@Suite("Image processing")
struct ImageProcessingTests {
  /// A `width` × `height` RGB image: red rises left to right, green top to bottom.
  static func gradient(_ width: Int, _ height: Int) -> PixelBuffer {
    var pixels: [UInt8] = []
    for y in 0..<height {
      for x in 0..<width {
        pixels += [UInt8(x * 255 / max(1, width - 1)), UInt8(y * 255 / max(1, height - 1)), 90]
      }
    }
    return PixelBuffer(width: width, height: height, channels: 3, pixels: pixels)
  }

  /// `jpeg` with an EXIF block (APP1) saying `orientation`, right after SOI.
  static func withOrientation(_ jpeg: [UInt8], _ orientation: UInt8) -> [UInt8] {
    let tiff: [UInt8] =
      [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, orientation, 0, 0]
      + [0, 0, 0, 0]
    let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
    let length = payload.count + 2
    return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + Array(jpeg.dropFirst(2))
  }

  @Test("JPEG and PNG: headers without decoding, round trips, alpha kept in PNG")
  func roundTrips() throws {
    let image = Self.gradient(300, 200)
    let jpeg = try image.encodeJPEG(quality: 90)
    let header = try ImageHeader.read(jpeg)
    #expect(header.format == .jpeg && header.width == 300 && header.height == 200 && !header.hasAlpha)
    let decoded = try PixelBuffer.decodeJPEG(jpeg, maxPixels: 1_000_000)
    #expect(decoded.width == 300 && decoded.height == 200 && decoded.channels == 3)
    // Lossy, but close: the corner pixels keep their colors.
    #expect(abs(Int(decoded.pixels[0]) - 0) < 12 && abs(Int(decoded.pixels[(299) * 3]) - 255) < 12)
    let halved = try PixelBuffer.decodeJPEG(jpeg, scaleDenominator: 2, maxPixels: 1_000_000)
    #expect(halved.width == 150 && halved.height == 100)

    var rgba: [UInt8] = []
    for index in 0..<16 { rgba += [UInt8(index * 10), 20, 30, UInt8(index * 16)] }
    let translucent = PixelBuffer(width: 4, height: 4, channels: 4, pixels: rgba)
    let png = try translucent.encodePNG()
    let pngHeader = try ImageHeader.read(png)
    #expect(pngHeader.format == .png && pngHeader.width == 4 && pngHeader.hasAlpha)
    #expect(try PixelBuffer.decodePNG(png, maxPixels: 100) == translucent)
  }

  @Test("area averaging weighs partly covered source pixels by their coverage; transparent pixels lend no color")
  func areaAverage() {
    // 3 → 2: the first target pixel covers pixels 0 and half of 1, the second half of 1 and 2.
    let row = PixelBuffer(width: 3, height: 1, channels: 3, pixels: [0, 0, 0, 90, 90, 90, 180, 180, 180])
    let scaled = AreaResampler.downscale(row, width: 2, height: 1)
    #expect(scaled.pixels == [30, 30, 30, 150, 150, 150])
    // A checkerboard of black and white averages to mid-grey.
    var checker: [UInt8] = []
    for y in 0..<8 { for x in 0..<8 { checker += Array(repeating: (x + y) % 2 == 0 ? 0 : 255, count: 3) } }
    let grey = AreaResampler.downscale(PixelBuffer(width: 8, height: 8, channels: 3, pixels: checker), width: 2, height: 2)
    #expect(grey.pixels.allSatisfy { $0 == 128 })
    // Transparent red beside opaque blue: blue at half alpha, no purple.
    let pair = PixelBuffer(width: 2, height: 1, channels: 4, pixels: [255, 0, 0, 0, 0, 0, 255, 255])
    #expect(AreaResampler.downscale(pair, width: 1, height: 1).pixels == [0, 0, 255, 128])
  }

  @Test("EXIF orientation: read from the JPEG, applied to the pixels, and not carried into the output")
  func orientation() throws {
    // Left half red, right half blue.
    var pixels: [UInt8] = []
    for _ in 0..<20 { for x in 0..<40 { pixels += x < 20 ? [255, 0, 0] : [0, 0, 255] } }
    let jpeg = try PixelBuffer(width: 40, height: 20, channels: 3, pixels: pixels).encodeJPEG(quality: 95)
    for orientation: UInt8 in 1...8 {
      #expect(ExifOrientation.read(jpeg: Self.withOrientation(jpeg, orientation)) == Int(orientation))
    }
    #expect(ExifOrientation.read(jpeg: jpeg) == 1)
    // 6: turned a quarter clockwise to be upright, so the left (red) half ends on top.
    let upright = try VisionImage.prepare(Self.withOrientation(jpeg, 6))
    #expect(upright.format == .jpeg && upright.width == 20 && upright.height == 40)
    let decoded = try PixelBuffer.decodeJPEG(upright.bytes, maxPixels: 10_000)
    #expect(decoded.pixels[0] > 200 && decoded.pixels[2] < 60)  // top-left: red
    let bottom = (39 * 20) * 3
    #expect(decoded.pixels[bottom] < 60 && decoded.pixels[bottom + 2] > 200)  // bottom-left: blue
    #expect(!upright.bytes.contains(sequence: Array("Exif".utf8)))
  }

  @Test("the vision pipeline: fits max_side (JPEG shrunk in the DCT first), JPEG unless there is transparency")
  func visionPipeline() throws {
    // 1/4 in the DCT (1600 / 4 = 400 is still enough), then nothing left to average.
    let wide = try Self.gradient(1600, 400).encodeJPEG(quality: 80)
    let fitted = try VisionImage.prepare(wide, limits: ImageLimits(maxSide: 400))
    #expect(fitted.format == .jpeg && fitted.width == 400 && fitted.height == 100)
    let odd = try VisionImage.prepare(wide, limits: ImageLimits(maxSide: 300))
    #expect(odd.width == 300 && odd.height == 75)
    let small = try Self.gradient(64, 48).encodePNG()
    let kept = try VisionImage.prepare(small)
    #expect(kept.format == .jpeg && kept.width == 64 && kept.height == 48)  // no alpha: JPEG
    var rgba: [UInt8] = []
    for index in 0..<(1000 * 10) { rgba += [200, 100, 0, index % 2 == 0 ? 255 : 0] }
    let translucent = try PixelBuffer(width: 1000, height: 10, channels: 4, pixels: rgba).encodePNG()
    let png = try VisionImage.prepare(translucent, limits: ImageLimits(maxSide: 500))
    #expect(png.format == .png && png.width == 500 && png.height == 5)
    #expect(png.sha256.count == 64 && png.sha256 == EncodedImage.sha256(png.bytes))
  }

  @Test("decompression bombs, damaged data and unknown formats fail with a sentence, never a crash")
  func limitsAndDamage() throws {
    let png = try Self.gradient(50, 50).encodePNG()
    let bomb = FakeImages.hugeHeader(png)  // 40,000 × 40,000, with a valid IHDR
    #expect(throws: ImageError.self) { try VisionImage.prepare(bomb) }
    #expect(throws: ImageError.self) { try PixelBuffer.decodePNG(png, maxPixels: 100) }
    let jpeg = try Self.gradient(50, 50).encodeJPEG()
    #expect(throws: ImageError.self) { try PixelBuffer.decodeJPEG(jpeg, maxPixels: 100) }
    for damaged in [Array(png.prefix(png.count / 2)), Array(jpeg.prefix(40)), Array(png.prefix(30))] {
      #expect(throws: ImageError.self) { try VisionImage.prepare(damaged) }
    }
    #expect(throws: ImageError.self) { try VisionImage.prepare(Array("not an image at all".utf8)) }
    #expect(throws: ImageError.self) { try VisionImage.prepare(png, limits: ImageLimits(maxBytes: 100)) }
    do {
      _ = try VisionImage.prepare(bomb)
    } catch {
      #expect(error.message.contains("40000x40000"))
    }
  }

  @Test("GIF and WebP: read from their headers, passed through when taken, refused with what to do otherwise")
  func passThrough() throws {
    let gif: [UInt8] = Array("GIF89a".utf8) + [0x20, 0x00, 0x10, 0x00] + Array(repeating: 0, count: 20)
    let header = try ImageHeader.read(gif)
    #expect(header.format == .gif && header.width == 32 && header.height == 16)
    #expect(try VisionImage.prepare(gif, passThrough: [.gif]).bytes == gif)
    do {
      _ = try VisionImage.prepare(gif)
      Issue.record("a GIF was accepted by a provider that does not take GIFs")
    } catch {
      #expect(error.message.contains("convert the image to PNG or JPEG"))
    }
    // A lossless WebP header: 100 × 50.
    let bits = (100 - 1) | (50 - 1) << 14
    let webp: [UInt8] =
      Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8L".utf8) + [0, 0, 0, 0, 0x2F]
      + [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24 & 0xFF)]
      + Array(repeating: 0, count: 10)
    let webpHeader = try ImageHeader.read(webp)
    #expect(webpHeader.format == .webp && webpHeader.width == 100 && webpHeader.height == 50)
    #expect(throws: ImageError.self) { try VisionImage.prepare(webp, limits: ImageLimits(maxSide: 64), passThrough: [.webp]) }
  }

  @Test("echo pictures: small PNGs, the same for the same prompt, different for another, in the asked aspect")
  func echoPictures() throws {
    let first = try EchoPicture.png(prompt: "a lighthouse at dusk")
    #expect(first.format == .png && first.width == 64 && first.height == 64)
    #expect(try EchoPicture.png(prompt: "a lighthouse at dusk") == first)
    #expect(try EchoPicture.png(prompt: "a forest at dawn").sha256 != first.sha256)
    let wide = try EchoPicture.png(prompt: "x", width: 1024, height: 512)
    #expect(wide.width == 64 && wide.height == 32)
    #expect(try ImageHeader.read(wide.bytes).width == 64)
  }
}

extension Array where Element == UInt8 {
  fileprivate func contains(sequence: [UInt8]) -> Bool {
    guard count >= sequence.count else { return false }
    return (0...(count - sequence.count)).contains { self[$0..<$0 + sequence.count].elementsEqual(sequence) }
  }
}
