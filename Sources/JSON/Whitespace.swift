extension StringProtocol {
  /// The text without leading and trailing white space (Unicode's definition, newlines included).
  public func trimmingWhitespace() -> String {
    let text = String(self)
    // Most texts start and end with a visible ASCII character: nothing to copy.
    if let first = text.utf8.first, let last = text.utf8.last, first < 0x80, last < 0x80,
      !String.isASCIIWhitespace(first), !String.isASCIIWhitespace(last)
    {
      return text
    }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    var result = String.UnicodeScalarView()
    result.append(contentsOf: scalars[first...last])
    return String(result)
  }

  /// Whether the string is empty or holds only Unicode whitespace; allocates nothing.
  public var isBlank: Bool {
    for byte in utf8 {
      if String.isASCIIWhitespace(byte) { continue }
      if byte < 0x80 { return false }
      return unicodeScalars.allSatisfy { $0.properties.isWhitespace }
    }
    return true
  }

}

extension String {
  fileprivate static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (0x09...0x0D).contains(byte)
  }
}
