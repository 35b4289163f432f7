/// The image formats the engine recognizes by their first bytes.
public enum ImageFormat: String, Sendable, CaseIterable {
  case jpeg, png, gif, webp

  /// The MIME type.
  public var mimeType: String { "image/\(rawValue)" }

  /// The format of `bytes`, from their signature; `nil` for anything else.
  public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
    if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) { return .gif }
    if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
      return .webp
    }
    return nil
  }

  /// The format a MIME type names (`image/jpg` too), if it is one of these.
  public init?(mimeType: String) {
    switch mimeType.lowercased().split(separator: ";").first.map({ String($0.filter { $0 != " " }) }) {
    case "image/jpeg", "image/jpg", "image/pjpeg": self = .jpeg
    case "image/png": self = .png
    case "image/gif": self = .gif
    case "image/webp": self = .webp
    default: return nil
    }
  }
}
