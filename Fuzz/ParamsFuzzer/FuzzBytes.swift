/// The fuzz input read as a stream of choices: every structural decision the generator makes
/// takes the next byte, so libFuzzer's mutations change the generated document's shape.
/// When the bytes run out every choice is 0 and the document closes.
struct FuzzBytes {
  private let bytes: UnsafeBufferPointer<UInt8>
  private var index = 0

  init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  /// True once every byte has been taken.
  var isExhausted: Bool { index >= bytes.count }

  /// The next byte, or 0 at the end.
  mutating func byte() -> UInt8 {
    guard index < bytes.count else { return 0 }
    defer { index += 1 }
    return bytes[index]
  }

  /// A choice in `0..<count`.
  mutating func below(_ count: Int) -> Int { count <= 1 ? 0 : Int(byte()) % count }

  /// True about once in `odds` choices.
  mutating func oneIn(_ odds: Int) -> Bool { below(odds) == 0 }

  /// One element of a non-empty list.
  mutating func pick<Element>(_ choices: [Element]) -> Element { choices[below(choices.count)] }

  /// A 64-bit value from the next eight bytes.
  mutating func word() -> UInt64 {
    var value: UInt64 = 0
    for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
    return value
  }
}
