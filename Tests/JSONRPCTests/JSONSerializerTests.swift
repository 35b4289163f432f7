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
