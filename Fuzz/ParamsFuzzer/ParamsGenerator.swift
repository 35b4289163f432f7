import FlowGraph
import FlowNodes
import FlowProviders

/// Writes `execution.start` and `initialize` params from fuzz bytes: the documented members
/// with values of the right type most of the time, and at every member a chance of a wrong
/// type, a hostile number, a missing member or an unknown one.
struct ParamsGenerator {
  var input: FuzzBytes
  let catalog = NodeKits.standard.catalog

  /// A key that must never appear in any message.
  static let canaryKey = "sk-canary-7f3a9c"

  /// Numbers at and around every range edge the params have, and spellings a JSON parser
  /// might convert badly.
  static let numbers = [
    "0", "-0", "1", "-1", "2", "0.5", "1.0", "1e0", "1E+2", "3", "8", "64", "-5", "0.001", "0.0009", "1e-400",
    "4.9e-324", "1e16", "1e308", "1e309", "-1e308", "-1e309", "10000", "10001", "100000000", "100000001",
    "31536000", "31536000.5", "2147483647", "2147483648", "4294967296", "9007199254740993",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551616", "123456789012345678901234567890", "4194304", "67108864", "268435456",
  ]

  static let settingNames = ["client_info", "providers", "model_defaults", "cache", "limits", "clientInfo", "extra"]
  static let providerSettingNames = [
    "api_key", "base_url", "default_model", "max_concurrency", "requests_per_minute", "timeout_seconds", "maxConcurrency",
  ]
  static let limitNames = ["max_output_bytes", "max_run_output_bytes", "max_remembered_bytes", "max_nodes"]
  static let optionNames = [
    "max_concurrency", "stream", "cache", "timeout_seconds", "events", "terminal_outputs", "timeoutSeconds", "budget",
  ]
  static let runIDs = ["run-1", "editor:tab-1.run_7", "", "a b", "tab/1", "é", String(repeating: "x", count: 129)]
  static let handles = ["text", "adapter", "adapter-1", "image", "image_1", "personas", "", "x"]
  static let baseURLs = ["http://127.0.0.1:9/v1", "https://example.invalid/", "ftp://host", "", "http://"]

  init(_ input: FuzzBytes) { self.input = input }

  // MARK: - Documents

  /// `execution.start` params: nodes, edges and the other members of a flow.
  mutating func flowParams() -> [UInt8] {
    var text = JSONText()
    if input.oneIn(32) {
      anyValue(&text, depth: 0)
      return text.bytes
    }
    let nodeCount = input.below(9)
    let ids = (0..<nodeCount).map { index in input.oneIn(16) ? "n\(input.below(3))" : "n\(index)" }
    text.object { object in
      var members = [
        "nodes", "edges", "flow_id", "provider_id", "trigger_node_id", "cached_outputs", "options", "run_id",
      ]
      if input.oneIn(4) {
        for index in members.indices { members.swapAt(index, input.below(members.count)) }
      }
      for name in members where !input.oneIn(8) {
        object.member(input.oneIn(32) ? "nodes " : name) { text in
          if input.oneIn(12) { return anyValue(&text, depth: 1) }
          switch name {
          case "nodes": text.array(ids.count) { text, index in node(&text, id: ids[index]) }
          case "edges": text.array(input.below(12)) { text, index in edge(&text, index: index, ids: ids) }
          case "provider_id": text.string(input.pick(NodeKits.knownProviders + ["echo", "openai", ""]))
          case "trigger_node_id": text.string(ids.isEmpty ? "n0" : input.pick(ids))
          case "cached_outputs": cachedOutputs(&text, ids: ids)
          case "options": options(&text)
          case "run_id": text.string(input.oneIn(2) ? input.pick(Self.runIDs) : shortString())
          default: text.string(shortString())
          }
        }
      }
    }
    return text.bytes
  }

  /// `initialize` params (or a config file): providers, model defaults, cache, limits.
  mutating func initializeParams() -> [UInt8] {
    var text = JSONText()
    if input.oneIn(8) {
      // Positional form: the members in their documented order.
      text.array(input.below(7)) { text, index in
        let names = ["client_info", "providers", "model_defaults", "cache", "limits", "extra"]
        setting(&text, names[index % names.count])
      }
      return text.bytes
    }
    text.object { object in
      for _ in 0..<input.below(6) {
        let name = input.pick(Self.settingNames)
        object.member(name) { text in setting(&text, name) }
      }
    }
    return text.bytes
  }

  // MARK: - Flow members

  private mutating func node(_ text: inout JSONText, id: String) {
    if input.oneIn(24) { return anyValue(&text, depth: 2) }
    let type = input.oneIn(12) ? input.pick(["translater", "", "imageGenerator ", "TextOutput"]) : input.pick(catalog.typeNames)
    text.object { object in
      if !input.oneIn(24) { object.member("id") { text in input.oneIn(24) ? anyValue(&text, depth: 3) : text.string(id) } }
      if !input.oneIn(24) { object.member("type") { text in input.oneIn(24) ? anyValue(&text, depth: 3) : text.string(type) } }
      if input.oneIn(3) { object.member("position") { text in text.raw("{\"x\":\(input.pick(Self.numbers)),\"y\":0}") } }
      if !input.oneIn(16) {
        object.member("data") { text in
          if input.oneIn(16) { return anyValue(&text, depth: 3) }
          data(&text, type: type)
        }
      }
    }
  }

  /// A node's `data`: its documented fields with values of their type (or not), and now and
  /// then an editor field or an unknown one.
  private mutating func data(_ text: inout JSONText, type: String) {
    let fields = catalog.descriptor(for: type)?.dataFields ?? []
    text.object { object in
      for field in fields where !input.oneIn(4) {
        object.member(field.name) { text in
          if input.oneIn(8) { return anyValue(&text, depth: 4) }
          switch field.type {
          case .string:
            if let values = field.values, !input.oneIn(6) {
              text.string(input.pick(values))
            } else {
              text.string(input.oneIn(4) ? input.pick(Languages.all.map(\.name)) : shortString())
            }
          case .integer, .number: text.raw(input.pick(Self.numbers))
          case .boolean: text.raw(input.oneIn(2) ? "true" : "false")
          default: anyValue(&text, depth: 4)
          }
        }
      }
      if input.oneIn(4) {
        object.member(input.pick(["label", "colour", "text", "language", "image"])) { anyValue(&$0, depth: 4) }
      }
    }
  }

  private mutating func edge(_ text: inout JSONText, index: Int, ids: [String]) {
    if input.oneIn(24) { return anyValue(&text, depth: 2) }
    let endpoints = ids.isEmpty ? ["n0"] : ids
    text.object { object in
      if !input.oneIn(4) { object.member("id") { $0.string("e\(input.oneIn(8) ? 0 : index)") } }
      for name in ["source", "target"] where !input.oneIn(24) {
        object.member(name) { text in
          input.oneIn(24) ? anyValue(&text, depth: 3) : text.string(input.oneIn(16) ? "ghost" : input.pick(endpoints))
        }
      }
      for name in ["sourceHandle", "targetHandle"] where input.oneIn(3) {
        object.member(name) { text in input.oneIn(8) ? text.raw("null") : text.string(input.pick(Self.handles)) }
      }
    }
  }

  private mutating func cachedOutputs(_ text: inout JSONText, ids: [String]) {
    text.object { object in
      for id in ids where input.oneIn(3) {
        object.member(id) { text in
          text.object { output in
            if !input.oneIn(4) { output.member("text") { input.oneIn(8) ? anyValue(&$0, depth: 3) : $0.string(shortString()) } }
            if input.oneIn(4) {
              output.member("image") { text in
                text.object { image in
                  image.member("mime_type") { $0.string(input.pick(["image/png", "image/jpeg", ""])) }
                  image.member("width") { $0.raw(input.pick(Self.numbers)) }
                  image.member("height") { $0.raw(input.pick(Self.numbers)) }
                  if input.oneIn(2) { image.member("base64") { $0.string(shortString()) } }
                }
              }
            }
            if input.oneIn(6) { output.member("personas") { anyValue(&$0, depth: 3) } }
          }
        }
      }
    }
  }

  private mutating func options(_ text: inout JSONText) {
    text.object { object in
      for name in Self.optionNames where input.oneIn(2) {
        object.member(name) { text in
          if input.oneIn(8) { return anyValue(&text, depth: 3) }
          switch name {
          case "stream": text.raw(input.oneIn(2) ? "true" : "false")
          case "cache": text.string(input.pick(["use", "refresh", "off", "on", ""]))
          case "events": text.string(input.pick(["all", "nodes", "terminal", "none"]))
          case "terminal_outputs": text.string(input.pick(["all", "sinks", "none", "some"]))
          default: text.raw(input.pick(Self.numbers))
          }
        }
      }
    }
  }

  // MARK: - Settings members

  private mutating func setting(_ text: inout JSONText, _ name: String) {
    if input.oneIn(12) { return anyValue(&text, depth: 1) }
    switch name {
    case "providers":
      text.object { object in
        for _ in 0..<input.below(4) {
          object.member(input.pick(ProviderDescriptor.all.map(\.id) + ["echo", "openai"])) { provider(&$0) }
        }
      }
    case "model_defaults":
      text.object { object in
        for _ in 0..<input.below(3) {
          object.member(input.pick(catalog.typeNames)) { text in
            text.object { entry in
              if !input.oneIn(6) { entry.member("provider_id") { $0.string(input.pick(NodeKits.knownProviders + ["x"])) } }
              if input.oneIn(2) { entry.member("model") { $0.string(shortString()) } }
            }
          }
        }
      }
    case "cache":
      text.object { object in
        if input.oneIn(2) { object.member("enabled") { $0.raw(input.oneIn(2) ? "true" : "1") } }
        if input.oneIn(2) { object.member("max_entries") { $0.raw(input.pick(Self.numbers)) } }
        if input.oneIn(2) { object.member("path") { $0.string(input.pick(["/tmp/cache.sqlite", "relative.db", ""])) } }
      }
    case "limits":
      text.object { object in
        for limit in Self.limitNames where input.oneIn(2) { object.member(limit) { $0.raw(input.pick(Self.numbers)) } }
      }
    case "client_info":
      text.object { object in
        object.member("name") { $0.string(shortString()) }
        if input.oneIn(2) { object.member("version") { anyValue(&$0, depth: 3) } }
      }
    default: anyValue(&text, depth: 1)
    }
  }

  private mutating func provider(_ text: inout JSONText) {
    text.object { object in
      for name in Self.providerSettingNames where input.oneIn(2) {
        object.member(name) { text in
          if input.oneIn(8) { return anyValue(&text, depth: 3) }
          switch name {
          case "api_key":
            let control = ["", "\r", "\n", "\u{7F}", "\u{1B}", "\u{0}", " "]
            text.string(Self.canaryKey + input.pick(control) + shortString())
          case "base_url": text.string(input.pick(Self.baseURLs))
          case "default_model": text.string(shortString())
          default: text.raw(input.pick(Self.numbers))
          }
        }
      }
    }
  }

  // MARK: - Any value

  /// Any JSON value, nested at most a few levels below `depth`.
  private mutating func anyValue(_ text: inout JSONText, depth: Int) {
    switch input.below(depth >= 5 ? 4 : 6) {
    case 0: text.raw(input.pick(["null", "true", "false"]))
    case 1: text.raw(input.pick(Self.numbers))
    case 2: text.string(shortString())
    case 3: text.raw(String(Int64(bitPattern: input.word())))
    case 4: text.array(input.below(4)) { text, _ in anyValue(&text, depth: depth + 1) }
    default:
      text.object { object in
        for _ in 0..<input.below(4) { object.member(shortString()) { anyValue(&$0, depth: depth + 1) } }
      }
    }
  }

  /// A short string from the input's bytes: ASCII letters, control characters, and now and
  /// then a multi-byte scalar.
  private mutating func shortString() -> String {
    var result = ""
    for _ in 0..<input.below(12) {
      let byte = input.byte()
      switch byte {
      case 0xF0...: result.unicodeScalars.append("\u{1F600}")
      case 0xE0...: result.unicodeScalars.append("\u{E9}")
      case 0x80...: result.unicodeScalars.append(Unicode.Scalar(UInt8(ascii: "a") + byte % 26))
      default: result.unicodeScalars.append(Unicode.Scalar(byte))
      }
    }
    return result
  }
}
