import JSON

/// Reads a message's top-level `"id"` from its first bytes without parsing the whole message:
/// for an oversized frame's error, and for `$/cancelRequest` reaching a request whose body is
/// still being parsed.
enum RequestIDSniffer {
  /// How many bytes of a message are looked at.
  static let prefixBytes = 4096

  /// The id, when the prefix holds a top-level object member `"id"` with a complete id value.
  static func sniff(_ bytes: ArraySlice<UInt8>) -> RequestID? {
    var scanner = Scanner(bytes: bytes.prefix(prefixBytes))
    scanner.skipWhitespace()
    guard scanner.take(UInt8(ascii: "{")) else { return nil }
    while true {
      scanner.skipWhitespace()
      guard let key = scanner.stringSlice() else { return nil }
      scanner.skipWhitespace()
      guard scanner.take(UInt8(ascii: ":")) else { return nil }
      scanner.skipWhitespace()
      let valueStart = scanner.position
      guard scanner.skipValue() else { return nil }
      if key.elementsEqual("\"id\"".utf8) {
        let text = Array(bytes[valueStart..<scanner.position])
        guard let value = try? JSONParser.parse(text) else { return nil }
        if case .double = value { return RequestID(numberText: String(decoding: text, as: UTF8.self)) }
        return RequestID(value)
      }
      scanner.skipWhitespace()
      guard scanner.take(UInt8(ascii: ",")) else { return nil }
    }
  }

  private struct Scanner {
    let bytes: ArraySlice<UInt8>
    var position: Int

    init(bytes: ArraySlice<UInt8>) {
      self.bytes = bytes
      position = bytes.startIndex
    }

    var current: UInt8? { position < bytes.endIndex ? bytes[position] : nil }

    mutating func skipWhitespace() {
      while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    mutating func take(_ byte: UInt8) -> Bool {
      guard current == byte else { return false }
      position += 1
      return true
    }

    /// A string with its quotes, escapes left as they are.
    mutating func stringSlice() -> ArraySlice<UInt8>? {
      let start = position
      guard take(UInt8(ascii: "\"")) else { return nil }
      while let byte = current {
        position += 1
        if byte == UInt8(ascii: "\\") {
          position += 1
        } else if byte == UInt8(ascii: "\"") {
          return position <= bytes.endIndex ? bytes[start..<position] : nil
        }
      }
      return nil
    }

    /// Skips one complete value; false when the prefix ends inside it.
    mutating func skipValue() -> Bool {
      guard let first = current else { return false }
      switch first {
      case UInt8(ascii: "\""):
        return stringSlice() != nil
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        var depth = 0
        while let byte = current {
          switch byte {
          case UInt8(ascii: "\""):
            guard stringSlice() != nil else { return false }
            continue
          case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
          case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth == 0 {
              position += 1
              return true
            }
          default: break
          }
          position += 1
        }
        return false
      default:
        // A number, true, false or null: up to the next delimiter, which must be in the prefix.
        while let byte = current, byte != UInt8(ascii: ","), byte != UInt8(ascii: "}"), byte != 0x20, byte != 0x09,
          byte != 0x0A, byte != 0x0D
        {
          position += 1
        }
        return current != nil
      }
    }
  }
}
