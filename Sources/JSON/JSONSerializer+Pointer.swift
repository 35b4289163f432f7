/// Writing JSON text through a pointer into room the caller has set aside: for encoders that
/// write many small pieces (a notification's keys, numbers and strings) and would otherwise
/// pay an array append for each.
extension JSONSerializer {
  /// The most bytes ``write(quoted:to:)`` writes for a string of `utf8Count` UTF-8 bytes.
  public static func maximumQuotedBytes(utf8Count: Int) -> Int { 2 + 6 * utf8Count }

  /// The most bytes ``write(_:to:)-(Int,_)`` writes.
  public static let maximumIntegerBytes = 20

  /// Writes JSON text that needs no escaping; returns the bytes written.
  @inlinable @inline(__always)
  public static func write(_ text: StaticString, to target: UnsafeMutablePointer<UInt8>) -> Int {
    text.withUTF8Buffer { bytes in
      guard let base = bytes.baseAddress else { return 0 }
      target.update(from: base, count: bytes.count)
      return bytes.count
    }
  }

  /// Writes bytes that are already JSON text; returns the bytes written.
  @inlinable @inline(__always)
  public static func write(_ bytes: [UInt8], to target: UnsafeMutablePointer<UInt8>) -> Int {
    bytes.withUnsafeBufferPointer { bytes in
      guard let base = bytes.baseAddress else { return 0 }
      target.update(from: base, count: bytes.count)
      return bytes.count
    }
  }

  /// Writes an integer in decimal; `target` must have room for ``maximumIntegerBytes``.
  /// Returns the bytes written.
  public static func write(_ integer: Int, to target: UnsafeMutablePointer<UInt8>) -> Int {
    var magnitude = integer.magnitude
    // The digits counted by comparison, then written from the last one back.
    let digits = decimalDigitCount(magnitude)
    let sign = integer < 0 ? 1 : 0
    if sign == 1 { target.pointee = UInt8(ascii: "-") }
    var position = target + sign + digits
    repeat {
      position -= 1
      position.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
      magnitude /= 10
    } while magnitude > 0
    return sign + digits
  }

  /// How many decimal digits `magnitude` has (one for zero).
  public static func decimalDigitCount(_ magnitude: UInt) -> Int {
    var digits = 1
    var threshold: UInt = 10
    while digits < 20, magnitude >= threshold {
      digits += 1
      threshold = threshold &* 10
    }
    return digits
  }

  /// Writes a quoted, escaped JSON string (as ``append(_:to:)-(String,_)`` does); `target`
  /// must have room for ``maximumQuotedBytes(utf8Count:)``. Returns the bytes written.
  public static func write(quoted string: String, to target: UnsafeMutablePointer<UInt8>) -> Int {
    target.pointee = UInt8(ascii: "\"")
    let written =
      string.utf8.withContiguousStorageIfAvailable { writeEscaped($0, to: target + 1) }
      ?? {
        var string = string
        return string.withUTF8 { writeEscaped($0, to: target + 1) }
      }()
    target[1 + written] = UInt8(ascii: "\"")
    return written + 2
  }

  private static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to target: UnsafeMutablePointer<UInt8>) -> Int {
    guard let base = bytes.baseAddress else { return 0 }
    var written = 0
    var runStart = 0
    var position = firstToEscape(in: bytes, from: 0)
    while position < bytes.count {
      (target + written).update(from: base + runStart, count: position - runStart)
      written += position - runStart
      written += writeEscape(bytes[position], to: target + written)
      runStart = position + 1
      position = firstToEscape(in: bytes, from: runStart)
    }
    (target + written).update(from: base + runStart, count: bytes.count - runStart)
    return written + bytes.count - runStart
  }

  /// Writes the escape of one byte a JSON string cannot hold as it is; returns its length (2 or 6).
  static func writeEscape(_ byte: UInt8, to target: UnsafeMutablePointer<UInt8>) -> Int {
    target[0] = UInt8(ascii: "\\")
    let letter: UInt8
    switch byte {
    case UInt8(ascii: "\""): letter = UInt8(ascii: "\"")
    case UInt8(ascii: "\\"): letter = UInt8(ascii: "\\")
    case 0x0A: letter = UInt8(ascii: "n")
    case 0x0D: letter = UInt8(ascii: "r")
    case 0x09: letter = UInt8(ascii: "t")
    case 0x08: letter = UInt8(ascii: "b")
    case 0x0C: letter = UInt8(ascii: "f")
    default:
      let hex: StaticString = "0123456789abcdef"
      target[1] = UInt8(ascii: "u")
      target[2] = UInt8(ascii: "0")
      target[3] = UInt8(ascii: "0")
      hex.withUTF8Buffer { digits in
        target[4] = digits[Int(byte >> 4)]
        target[5] = digits[Int(byte & 0xF)]
      }
      return 6
    }
    target[1] = letter
    return 2
  }
}
