import Foundation
import JSON
import JSONRPC
import Testing

@Suite("JSON serializer")
struct JSONSerializerTests {
  @Test("escapes quotes, backslashes and every control character; keeps UTF-8 raw")
  func escaping() throws {
    var text = "q\"b\\s/é😀"
    for scalar in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
    let encoded = String(decoding: JSONSerializer.serialize(.string(text)), as: UTF8.self)
    #expect(encoded.hasPrefix(#""q\"b\\s/é😀\u0000\u0001"#))
    #expect(encoded.contains(#"\b\t\n\u000b\f\r\u000e"#))
    let decoded = try JSONSerialization.jsonObject(with: Data(encoded.utf8), options: [.fragmentsAllowed]) as? String
    #expect(decoded == text)
  }

  @Test("a byte to escape is found at every position of the word-at-a-time scan, next to any neighbour")
  func escapingAtEveryPosition() throws {
    /// Escapes byte by byte: what the scan must agree with.
    func reference(_ bytes: [UInt8]) -> [UInt8] {
      var out: [UInt8] = [UInt8(ascii: "\"")]
      let short: [UInt8: UInt8] = [0x22: 0x22, 0x5C: 0x5C, 0x0A: 0x6E, 0x0D: 0x72, 0x09: 0x74, 0x08: 0x62, 0x0C: 0x66]
      for byte in bytes {
        if let letter = short[byte] {
          out += [0x5C, letter]
        } else if byte < 0x20 {
          out += Array(String(format: "\\u%04x", byte).utf8)
        } else {
          out.append(byte)
        }
      }
      return out + [UInt8(ascii: "\"")]
    }
    // Bytes next to the thresholds of each test (0x1F/0x20, 0x21/0x22/0x23, 0x5B/0x5C/0x5D,
    // and bytes with the high bit set, which never need escaping) in fillers of either kind.
    let probes: [UInt8] = [0x00, 0x01, 0x0A, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF]
    for filler in [UInt8(ascii: "a"), 0x20, 0xC3] {
      for length in [1, 7, 8, 9, 16, 23] {
        for position in 0..<length {
          for probe in probes {
            for second in [nil, UInt8(0x22), UInt8(0x01)] {
              var bytes = [UInt8](repeating: filler, count: length)
              bytes[position] = probe
              if let second, position + 1 < length { bytes[position + 1] = second }
              var out: [UInt8] = []
              // Raw bytes, valid UTF-8 or not, go through the same scan.
              JSONSerializer.append(String(decoding: bytes, as: UTF8.self), to: &out)
              #expect(out == reference(Array(String(decoding: bytes, as: UTF8.self).utf8)), "\(bytes)")
            }
          }
        }
      }
    }
  }

  @Test("writes integers, doubles and non-finite numbers")
  func numbers() {
    #expect(JSONValue.int(Int.min).description == "-9223372036854775808")
    #expect(JSONValue.int(Int.max).description == "9223372036854775807")
    #expect(JSONValue.int(0).description == "0")
    #expect(JSONValue.double(0.1).description == "0.1")
    #expect(JSONValue.double(.nan).description == "null")
    #expect(JSONValue.double(.infinity).description == "null")
  }

  @Test("keeps object members in insertion order")
  func order() {
    var object = JSONObject()
    object["z"] = 1
    object["a"] = 2
    object["m"] = 3
    object["a"] = 4
    #expect(JSONValue.object(object).description == #"{"z":1,"a":4,"m":3}"#)
    object["z"] = nil
    #expect(JSONValue.object(object).description == #"{"a":4,"m":3}"#)
  }

  @Test("builds response and notification envelopes")
  func envelopes() {
    #expect(
      String(decoding: OutgoingMessage.response(id: .string("a"), result: .null), as: UTF8.self)
        == #"{"jsonrpc":"2.0","id":"a","result":null}"#)
    #expect(
      String(decoding: OutgoingMessage.response(id: .null, error: .parseError("bad")), as: UTF8.self)
        == #"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#)
    #expect(
      String(decoding: OutgoingMessage.notification(method: "x", params: ["a": 1]), as: UTF8.self)
        == #"{"jsonrpc":"2.0","method":"x","params":{"a":1}}"#)
  }
}

@Suite("White space")
struct WhitespaceTests {
  @Test("trimming: ASCII and Unicode white space at either end, nothing copied when there is none")
  func trimming() {
    #expect("abc".trimmingWhitespace() == "abc")
    #expect("  a b \n".trimmingWhitespace() == "a b")
    #expect("\u{00A0}\u{2003}x\u{3000}".trimmingWhitespace() == "x")
    #expect("é ".trimmingWhitespace() == "é")
    #expect(" \t\r\n".trimmingWhitespace() == "")
    #expect("".trimmingWhitespace() == "")
    #expect("  mid  "[...].trimmingWhitespace() == "mid")
  }

  @Test("blank: empty or only white space, Unicode's included")
  func blank() {
    #expect("".isBlank)
    #expect(" \t\n\r\u{0B}\u{0C}".isBlank)
    #expect("\u{00A0}\u{2028} ".isBlank)
    #expect(!" x ".isBlank)
    #expect(!"\u{00A0}é".isBlank)
    #expect(!"\u{200B}".isBlank)  // zero-width space is not white space
  }
}
