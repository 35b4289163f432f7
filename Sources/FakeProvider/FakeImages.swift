import FlowImages
import JSON

/// The image-generation APIs of the fake: Hugging Face text-to-image
/// (`/huggingface/hf-inference/models/<model>`) and GLM CogView (`/glm/v1/images/generations`).
/// Images are ``EchoPicture``s of `"fake " + prompt` at the requested aspect ratio. Markers in
/// the prompt choose other answers:
///
/// | marker | answer |
/// |---|---|
/// | (none) | Hugging Face: the PNG's bytes (`image/png`); CogView: `{"data":[{"url"}]}` to fetch from `/files/` |
/// | `fake-image-json` | Hugging Face: `{"data":[{"b64_json"}]}` |
/// | `fake-image-url` | Hugging Face: `{"images":[{"url"}]}` |
/// | `fake-image-truncated` | the PNG cut in half |
/// | `fake-image-huge` | a PNG whose header says 40,000 × 40,000 pixels |
/// | `fake-image-404` | a URL that answers 404 |
/// | `fake-image-text` | HTTP 200 with `text/html` |
public enum FakeImages {
  static func isImageRequest(path: String) -> Bool {
    path.contains("/hf-inference/models/") || path.hasSuffix("/images/generations")
  }

  static func steps(provider: String, requestBody: [UInt8], server: FakeProviderServer) -> [ResponseStep] {
    let json = try? JSONParser.parse(requestBody)
    let prompt = json?["inputs"]?.stringValue ?? json?["prompt"]?.stringValue ?? ""
    var width = json?["parameters"]?["width"]?.intValue
    var height = json?["parameters"]?["height"]?.intValue
    if let size = json?["size"]?.stringValue {
      let sides = size.split(separator: "x").compactMap { Int($0) }
      if sides.count == 2 { (width, height) = (sides[0], sides[1]) }
    }
    var image = (try? EchoPicture.png(prompt: "fake " + prompt, width: width, height: height))?.bytes ?? []
    if prompt.contains("fake-image-truncated") { image = Array(image.prefix(image.count / 2)) }
    if prompt.contains("fake-image-huge") { image = hugeHeader(image) }
    let jsonType = [("content-type", "application/json")]
    if prompt.contains("fake-image-text") {
      return [.head(status: 200, headers: [("content-type", "text/html")]), .body("<html>busy</html>"), .end]
    }
    let name = "\(provider)-\(EncodedImage.sha256(Array(prompt.utf8)).prefix(16)).png"
    let url =
      prompt.contains("fake-image-404")
      ? "http://127.0.0.1:\(server.port)/files/missing-\(name)" : server.storeFile(image, name: name)
    if provider == "glm" {
      return [.head(status: 200, headers: jsonType), .body(#"{"created":1,"data":[{"url":"\#(url)"}]}"#), .end]
    }
    if prompt.contains("fake-image-json") {
      let encoded = base64(image)
      return [.head(status: 200, headers: jsonType), .body(#"{"data":[{"b64_json":"\#(encoded)"}]}"#), .end]
    }
    if prompt.contains("fake-image-url") || prompt.contains("fake-image-404") {
      return [.head(status: 200, headers: jsonType), .body(#"{"images":[{"url":"\#(url)"}]}"#), .end]
    }
    return [.head(status: 200, headers: [("content-type", "image/png")]), .bytes(image), .end]
  }

  /// The PNG with its IHDR saying 40,000 × 40,000 (a valid chunk, CRC and all: the header is
  /// believable, the pixels are not there).
  public static func hugeHeader(_ png: [UInt8]) -> [UInt8] {
    guard png.count > 33 else { return png }
    var bytes = png
    let side: [UInt8] = [0x00, 0x00, 0x9C, 0x40]
    bytes.replaceSubrange(16..<20, with: side)
    bytes.replaceSubrange(20..<24, with: side)
    let crc = crc32(Array(bytes[12..<29]))
    bytes.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
    return bytes
  }

  /// The CRC-32 PNG chunks carry.
  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  static func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
      let chunk = bytes[index..<min(index + 3, bytes.count)]
      let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
      for position in 0..<4 {
        out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : UInt8(ascii: "="))
      }
      index += 3
    }
    return String(decoding: out, as: UTF8.self)
  }
}
