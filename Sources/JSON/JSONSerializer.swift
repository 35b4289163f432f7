/// Writes JSON values as compact UTF-8 text.
///
/// Strings are escaped as RFC 8259 requires (quote, backslash and control characters) and left as
/// raw UTF-8 otherwise; non-finite doubles, which JSON cannot express, are written as `null`.
/// The `append` functions let hot paths build a message piece by piece into one reused buffer.
public enum JSONSerializer {
  /// The compact JSON text of a value.
  public static func serialize(_ value: JSONValue) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(64)
    append(value, to: &output)
    return output
  }

  /// Appends the compact JSON text of a value.
  public static func append(_ value: JSONValue, to output: inout [UInt8]) {
    switch value {
    case .null: appendRaw("null", to: &output)
    case .bool(let flag): appendRaw(flag ? "true" : "false", to: &output)
    case .int(let integer): append(integer, to: &output)
    case .double(let double): append(double, to: &output)
    case .string(let string): append(string, to: &output)
    case .array(let elements):
      output.append(UInt8(ascii: "["))
      for (position, element) in elements.enumerated() {
        if position > 0 { output.append(UInt8(ascii: ",")) }
        append(element, to: &output)
      }
      output.append(UInt8(ascii: "]"))
    case .object(let object):
      output.append(UInt8(ascii: "{"))
      var first = true
      object.forEachMember { key, member in
        if !first { output.append(UInt8(ascii: ",")) }
        first = false
        append(key, to: &output)
        output.append(UInt8(ascii: ":"))
        append(member, to: &output)
      }
      output.append(UInt8(ascii: "}"))
    }
  }

  /// Appends bytes that are already valid JSON text (punctuation, pre-serialized fragments).
  public static func appendRaw(_ text: StaticString, to output: inout [UInt8]) {
    text.withUTF8Buffer { output.append(contentsOf: $0) }
  }

  /// Appends an integer in decimal.
  public static func append(_ integer: Int, to output: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumIntegerBytes) { digits in
      guard let base = digits.baseAddress else { return }
      output.append(contentsOf: UnsafeBufferPointer(start: base, count: write(integer, to: base)))
    }
  }

  /// Appends a double in its shortest round-tripping form, or `null` when it is not finite.
  public static func append(_ double: Double, to output: inout [UInt8]) {
    guard double.isFinite else {
      appendRaw("null", to: &output)
      return
    }
    output.append(contentsOf: double.description.utf8)
  }

  /// Appends a quoted, escaped JSON string.
  public static func append(_ string: String, to output: inout [UInt8]) {
    output.append(UInt8(ascii: "\""))
    // A native string's bytes are read where they lie; only a bridged one is made contiguous.
    if string.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &output) }) == nil {
      var string = string
      string.withUTF8 { appendEscaped($0, to: &output) }
    }
    output.append(UInt8(ascii: "\""))
  }

  /// Appends UTF-8 string content with the escapes a JSON string needs, without the quotes.
  private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
    var runStart = 0
    var position = firstToEscape(in: bytes, from: 0)
    while position < bytes.count {
      output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
      appendEscape(bytes[position], to: &output)
      runStart = position + 1
      position = firstToEscape(in: bytes, from: runStart)
    }
    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
  }

  /// The first byte at or after `start` that a JSON string must escape (a quote, a backslash
  /// or a control character), or `bytes.count`. Eight bytes at a time.
  @inline(__always)
  static func firstToEscape(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var position = start
    if let base = bytes.baseAddress {
      let ones: UInt64 = 0x0101_0101_0101_0101
      while position + 8 <= bytes.count {
        let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        // A byte's high bit flags a zero byte of `quote` or `backslash`, or a byte below 0x20;
        // borrows only run upwards, so the lowest flag (the first byte in memory) is exact.
        let flagged =
          ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word)
          & (ones &* 0x80)
        if flagged != 0 { return position + flagged.trailingZeroBitCount >> 3 }
        position += 8
      }
    }
    while position < bytes.count {
      let byte = bytes[position]
      if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return position }
      position += 1
    }
    return position
  }

  private static func appendEscape(_ byte: UInt8, to output: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { escape in
      guard let base = escape.baseAddress else { return }
      output.append(contentsOf: UnsafeBufferPointer(start: base, count: writeEscape(byte, to: base)))
    }
  }
}
