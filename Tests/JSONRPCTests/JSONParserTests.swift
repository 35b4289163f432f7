import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

@Suite("JSON parser")
struct JSONParserTests {
  @Test("checking an object notes each member's name (escapes decoded) and where its value lies")
  func notedMembers() throws {
    func noted(_ text: String) throws -> [RawJSON.Member] {
      try Array(text.utf8).withUnsafeBufferPointer { buffer throws(JSONParseError) in
        var scanner = JSONScanner(buffer)
        return try scanner.skipObjectNotingMembers()
      }
    }
    let text = #"{ "a" : [1, {"b":"}"}] , "\u0063d":"x","a":null }"#
    let bytes = Array(text.utf8)
    let members = try noted(text)
    #expect(members.map(\.name) == ["a", "cd", "a"])
    #expect(members.map { String(decoding: bytes[$0.range], as: UTF8.self) } == [#"[1, {"b":"}"}]"#, #""x""#, "null"])
    let raw = RawJSON(bytes: bytes, range: 0..<bytes.count, members: members)
    #expect(try raw.value(of: members[0]).parsed() == [1, ["b": "}"]])
    #expect(try noted("{}").isEmpty)
    for broken in [#"{"a":[1,]}"#, #"{"a" 1}"#, #"{"a":1,}"#, #"{"a":"\q"}"#, "[1]"] {
      #expect(throws: JSONParseError.self, "\(broken)") { try noted(broken) }
    }
  }

  @Test("parses every JSON type")
  func parsesTypes() throws {
    let value = try JSONParser.parse(#" {"a":[1,-2,3.5,-0.25e2,1E3,true,false,null,"x\n\"\\\/\u00e9\ud83d\ude00"],"b":{}} "#)
    #expect(
      value == [
        "a": [1, -2, 3.5, -25.0, 1000.0, true, false, .null, "x\n\"\\/é😀"],
        "b": [:],
      ])
  }

  @Test("keeps integers exact and falls back to doubles past Int")
  func integers() throws {
    #expect(try JSONParser.parse("9223372036854775807") == .int(Int.max))
    #expect(try JSONParser.parse("-9223372036854775808") == .int(Int.min))
    #expect(try JSONParser.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    #expect(try JSONParser.parse("0") == .int(0))
    #expect(try JSONParser.parse("-0") == .int(0))
  }

  @Test(
    "rejects what RFC 8259 rejects",
    arguments: [
      "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "\"abc", "\"a\u{01}b\"",
      "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "[1 2]", "{\"a\" 1}", "{1:2}", "1 2",
      "NaN", "Infinity", "1e999", "'a'", "[", "]",
    ])
  func rejects(_ text: String) {
    #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
  }

  @Test("rejects invalid UTF-8 inside strings")
  func invalidUTF8() {
    #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22]) }
  }

  @Test("a quote, escape, control character or non-ASCII byte is found at every offset of a string, read or skipped")
  func specialBytesAtEveryOffset() throws {
    for length in 0..<40 {
      for offset in 0..<max(length, 1) {
        var plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        // An escaped quote, a non-ASCII letter, and a raw control character at `offset`.
        let escaped = Array(plain[0..<min(offset, length)]) + Array(#"\""#.utf8) + Array(plain[min(offset, length)...])
        let expectedText =
          String(repeating: "a", count: min(offset, length)) + "\"" + String(repeating: "a", count: length - min(offset, length))
        for wrap in [{ (s: [UInt8]) in s }, { (s: [UInt8]) in Array(#"{"k":["#.utf8) + s + Array("]}".utf8) }] {
          let document = wrap([UInt8(ascii: "\"")] + escaped + [UInt8(ascii: "\"")])
          let value = try JSONParser.parse(document)
          #expect(value == .string(expectedText) || value == ["k": [.string(expectedText)]])
          try document.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var scanner = JSONScanner(buffer)
            try scanner.skipValue()
            try scanner.expectEnd()
          }
        }
        if length > 0 {
          plain[offset] = 0x01
          #expect(throws: JSONParseError.self) { try JSONParser.parse([UInt8(ascii: "\"")] + plain + [UInt8(ascii: "\"")]) }
          plain[offset] = 0xC3
          plain.insert(0xA9, at: offset + 1)
          let text = try JSONParser.parse([UInt8(ascii: "\"")] + plain + [UInt8(ascii: "\"")])
          #expect(text.stringValue?.unicodeScalars.count == length)
        }
      }
    }
  }

  @Test("limits nesting instead of exhausting the stack")
  func depth() throws {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    let allowed = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
    #expect(throws: Never.self) { try JSONParser.parse(allowed) }
  }

  @Test("duplicate member names: the last value wins")
  func duplicates() throws {
    let value = try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#)
    #expect(value.objectValue?.keys == ["a", "b"])
    #expect(value["a"] == 3)
  }

  @Test("strings with every escape survive a trip through JSONSerialization")
  func stringsAgreeWithFoundation() throws {
    var generator = SplitMix64(seed: 11)
    for _ in 0..<500 {
      let text = RandomJSON.string(using: &generator)
      let decoded = try JSONSerialization.jsonObject(
        with: Data(JSONSerializer.serialize(.string(text))), options: [.fragmentsAllowed])
      #expect(decoded as? String == text)
    }
  }

  @Test("agrees with JSONSerialization on random documents")
  func agreesWithFoundation() throws {
    var generator = SplitMix64(seed: 7)
    for _ in 0..<300 {
      let value = RandomJSON.value(depth: 4, using: &generator)
      let ours = JSONSerializer.serialize(value)
      #expect(try JSONParser.parse(ours) == value)
      // Foundation reads what we write, and we read what Foundation writes, to the same document.
      let foundation = try JSONSerialization.jsonObject(with: Data(ours), options: [.fragmentsAllowed])
      let reencoded = try JSONSerialization.data(withJSONObject: foundation, options: [.fragmentsAllowed])
      let ours2 = JSONSerializer.serialize(try JSONParser.parse([UInt8](reencoded)))
      let foundation2 = try JSONSerialization.jsonObject(with: Data(ours2), options: [.fragmentsAllowed])
      #expect(canonical(foundation) == value.canonical, "\(value)")
      #expect(canonical(foundation2) == value.canonical, "\(value)")
    }
  }
}

/// Random JSON documents for round-trip tests.
enum RandomJSON {
  static let alphabet: [Character] = [
    "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "😀", "中", "\u{2028}",
  ]

  static func string(using generator: inout SplitMix64) -> String {
    String((0..<Int(generator.next() % 12)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
  }

  static func value(depth: Int, using generator: inout SplitMix64) -> JSONValue {
    let choice = generator.next() % (depth > 0 ? 8 : 6)
    switch choice {
    case 0: return .null
    case 1: return .bool(generator.next() % 2 == 0)
    case 2: return .int(Int(truncatingIfNeeded: generator.next()) >> Int(generator.next() % 60))
    case 3:
      let double = Double(Int64(truncatingIfNeeded: generator.next()) >> 44) / 16
      return double.rounded() == double ? .double(double + 0.5) : .double(double)
    case 4, 5: return .string(string(using: &generator))
    case 6: return .array((0..<Int(generator.next() % 5)).map { _ in value(depth: depth - 1, using: &generator) })
    default:
      var object = JSONObject()
      for _ in 0..<Int(generator.next() % 5) { object[string(using: &generator)] = value(depth: depth - 1, using: &generator) }
      return .object(object)
    }
  }
}

/// Foundation's objects as a JSON value with every number as a Double (Foundation does not keep
/// the integer/double distinction, and its Bool/NSNumber bridging is platform-dependent).
func canonical(_ object: Any) -> JSONValue {
  switch object {
  case is NSNull: return .null
  case let string as String: return .string(string)
  case let array as [Any]: return .array(array.map(canonical))
  case let dictionary as [String: Any]:
    return .object(JSONObject(dictionary.sorted { $0.key < $1.key }.map { ($0.key, canonical($0.value)) }))
  case let number as NSNumber:
    let type = String(cString: number.objCType)
    if type == "c" || type == "B" { return .bool(number.boolValue) }
    return .double(number.doubleValue)
  default: return .string("unexpected \(type(of: object))")
  }
}

extension JSONValue {
  /// This value with every number as a Double.
  var canonical: JSONValue {
    switch self {
    case .int(let integer): .double(Double(integer))
    case .array(let elements): .array(elements.map(\.canonical))
    case .object(let object): .object(JSONObject(object.members.map { ($0.key, $0.value.canonical) }))
    default: self
    }
  }
}
