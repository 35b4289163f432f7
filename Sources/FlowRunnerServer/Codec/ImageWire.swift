import FlowGraph
import Foundation
import JSON

/// The `Image` value: `{mime_type, width, height, bytes, sha256, base64?, path?}`: `path` once
/// the image is in a file (`options.images: "file"`), else `base64`.
enum ImageWire {
  static func encode(_ image: ImageValue) -> JSONValue {
    var object: JSONObject = [
      "mime_type": .string(image.mimeType), "width": .int(image.width), "height": .int(image.height),
      "bytes": .int(image.byteCount), "sha256": .string(image.sha256),
    ]
    if let path = image.path {
      object["path"] = .string(path)
    } else if let data = image.data {
      object["base64"] = .string(Data(data).base64EncodedString())
    }
    return .object(object)
  }

  /// A client-supplied image (in `cached_outputs`): its bytes from `base64`, or its `path` to
  /// read when a node takes it in. `nil` when it has neither.
  static func decode(_ object: JSONObject) -> ImageValue? {
    let data = object["base64"]?.stringValue.flatMap { Data(base64Encoded: $0, options: .ignoreUnknownCharacters) }
    let path = object["path"]?.stringValue
    guard data != nil || path != nil else { return nil }
    return ImageValue(
      mimeType: object["mime_type"]?.stringValue ?? "application/octet-stream", width: object["width"]?.intValue ?? 0,
      height: object["height"]?.intValue ?? 0, data: data.map { [UInt8]($0) },
      byteCount: data?.count ?? object["bytes"]?.intValue ?? 0, sha256: object["sha256"]?.stringValue ?? "", path: path)
  }
}
