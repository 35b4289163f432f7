import FlowImages

#if canImport(Glibc)
  import Glibc
#endif

private typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: FuzzCallback
) -> Int32

/// The image wrapper under libFuzzer: every input goes through header reading, EXIF parsing
/// and the whole vision pipeline (decode, orientation, downscale, re-encode) with small limits.
/// It must never crash, leak or hang, and whatever it accepts must come out as an image within
/// the limits.
@main
enum ImageFuzzer {
  static let limits = ImageLimits(maxBytes: 1 << 20, maxPixels: 4_000_000, maxSide: 128)

  static func main() {
    if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--write-seeds" {
      writeSeeds(to: CommandLine.arguments[2])
      return
    }
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(
      runDriver(&argc, &argv) { data, size in
        guard let data, size > 0 else { return 0 }
        ImageFuzzer.check(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
      })
  }

  /// Writes the seed corpus: small JPEGs (baseline, with an EXIF orientation), PNGs (RGB,
  /// RGBA), and GIF and WebP headers.
  static func writeSeeds(to directory: String) {
    var pixels: [UInt8] = []
    for y in 0..<16 { for x in 0..<24 { pixels += [UInt8(x * 10), UInt8(y * 15), 128] } }
    let rgb = PixelBuffer(width: 24, height: 16, channels: 3, pixels: pixels)
    var rgba: [UInt8] = []
    for index in 0..<(16 * 16) { rgba += [0, 128, 255, UInt8(index % 256)] }
    let translucent = PixelBuffer(width: 16, height: 16, channels: 4, pixels: rgba)
    guard let jpeg = try? rgb.encodeJPEG(quality: 80), let png = try? rgb.encodePNG(),
      let alpha = try? translucent.encodePNG()
    else { fatalError("cannot encode the seeds") }
    let tiff: [UInt8] = [0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]
    let exif = Array("Exif".utf8) + [0, 0] + tiff
    let oriented = [0xFF, 0xD8, 0xFF, 0xE1, 0, UInt8(exif.count + 2)] + exif + Array(jpeg.dropFirst(2))
    let gif = Array("GIF89a".utf8) + [8, 0, 8, 0, 0x80, 0, 0] + Array(repeating: 0, count: 9)
    let webp =
      Array("RIFF".utf8) + [30, 0, 0, 0] + Array("WEBPVP8L".utf8) + [10, 0, 0, 0, 0x2F, 7, 0xC0, 1, 0]
      + Array(repeating: 0, count: 8)
    let seeds: [(String, [UInt8])] = [
      ("small.jpg", jpeg), ("oriented.jpg", oriented), ("rgb.png", png), ("alpha.png", alpha), ("header.gif", gif),
      ("lossless.webp", webp), ("cut.png", Array(png.prefix(60))),
    ]
    for (name, bytes) in seeds {
      guard let file = fopen("\(directory)/\(name)", "wb") else { fatalError("cannot write \(directory)/\(name)") }
      _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
      fclose(file)
    }
  }

  static func check(_ bytes: [UInt8]) {
    _ = ExifOrientation.read(jpeg: bytes)
    let header = try? ImageHeader.read(bytes)
    guard let prepared = try? VisionImage.prepare(bytes, limits: limits, passThrough: [.gif, .webp]) else { return }
    guard let header else { fatalError("prepared an image whose header could not be read") }
    guard max(prepared.width, prepared.height) <= limits.maxSide else {
      fatalError("prepared \(prepared.width)x\(prepared.height), past max_side \(limits.maxSide)")
    }
    switch prepared.format {
    case .jpeg, .png:
      guard let again = try? ImageHeader.read(prepared.bytes), again.width == prepared.width,
        again.height == prepared.height
      else { fatalError("the re-encoded image does not read back as \(prepared.width)x\(prepared.height)") }
    case .gif, .webp:
      guard prepared.bytes == bytes, prepared.format == header.format else {
        fatalError("a passed-through image changed")
      }
    }
  }
}
