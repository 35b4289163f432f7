/// JSON text written member by member, so numbers can be spelled exactly as a hostile client
/// would (`1e309`, `-0`, thirty digits) rather than as a `Double` prints.
struct JSONText {
  private(set) var bytes: [UInt8] = []

  mutating func raw(_ text: String) { bytes.append(contentsOf: Array(text.utf8)) }

  /// A string literal; control characters and quotes escaped, everything else as UTF-8.
  mutating func string(_ text: String) {
    bytes.append(UInt8(ascii: "\""))
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": raw("\\\"")
      case "\\": raw("\\\\")
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        raw("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
      default: bytes.append(contentsOf: Array(String(scalar).utf8))
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }

  /// An object whose members `write` adds with ``member(_:_:)``.
  mutating func object(_ write: (inout ObjectWriter) -> Void) {
    raw("{")
    var writer = ObjectWriter(text: JSONText())
    swap(&writer.text, &self)
    write(&writer)
    swap(&writer.text, &self)
    raw("}")
  }

  /// An array of `count` elements, each written by `element`.
  mutating func array(_ count: Int, _ element: (inout JSONText, Int) -> Void) {
    raw("[")
    for index in 0..<count {
      if index > 0 { raw(",") }
      element(&self, index)
    }
    raw("]")
  }

  /// Adds members to an object being written.
  struct ObjectWriter {
    var text: JSONText
    private var count = 0

    init(text: JSONText) { self.text = text }

    mutating func member(_ name: String, _ value: (inout JSONText) -> Void) {
      if count > 0 { text.raw(",") }
      count += 1
      text.string(name)
      text.raw(":")
      value(&text)
    }
  }
}
