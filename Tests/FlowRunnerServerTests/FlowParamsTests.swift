import FlowExecution
import FlowGraph
import Foundation
import JSON
import JSONRPC
import Testing

@testable import FlowRunnerServer

@Suite("Flow params decoded straight from the bytes")
struct FlowParamsTests {
  func decode(_ text: String) throws(ResponseError) -> (flow: Flow, options: RunOptions) {
    let bytes = Array(text.utf8)
    return try FlowParams.decode(RawJSON(bytes: bytes, range: 0..<bytes.count))
  }

  func message(_ text: String) -> String? {
    do {
      _ = try decode(text)
      return nil
    } catch {
      #expect(error.code == .invalidParams)
      return error.message
    }
  }

  @Test("nodes and edges go into the model; editor members are skipped; order is kept")
  func model() throws {
    let (flow, options) = try decode(
      #"""
      {"flow_id":"f","provider_id":"echo","trigger_node_id":null,
       "nodes":[{"id":"a\u00e9","type":"initialPrompt","position":{"x":1,"y":[2,{"z":null}]},"data":{"text":"hi","n":[1,2]}},
                {"width":240,"type":"textOutput","id":"b","data":null}],
       "edges":[{"id":"e","source":"a\u00e9","target":"b","sourceHandle":"text","targetHandle":null,"animated":true}],
       "cached_outputs":{"a\u00e9":{"text":"cached"}},
       "options":{"max_concurrency":4,"stream":true,"cache":"refresh","timeout_seconds":2.5}}
      """#)
    #expect(flow.flowID == "f" && flow.providerID == "echo" && flow.triggerNodeID == nil)
    #expect(
      flow.nodes == [
        FlowNode(id: "aé", type: "initialPrompt", data: ["text": "hi", "n": [1, 2]]), FlowNode(id: "b", type: "textOutput"),
      ])
    #expect(flow.edges == [FlowEdge(id: "e", source: "aé", target: "b", sourceHandle: "text", targetHandle: nil)])
    #expect(flow.cachedOutputs["aé"]?.text == "cached")
    #expect(options == RunOptions(maxConcurrency: 4, stream: true, cache: .refresh, timeoutSeconds: 2.5))
  }

  @Test("member names written with escapes still match; skipped values with strings, escapes and brackets are passed over")
  func escapedNamesAndSkipping() throws {
    let (flow, _) = try decode(
      #"""
      {"nodes":[{"\u0069d":"a","ty\u0070e":"initialPrompt","extra":{"s":"}]\\\"{[","t":[1,[2,{"u":"]"}]],"v":-1.5e3},"dat\u0061":{"text":"x"}},
                {"id":"b","type":"textOutput","selected":true,"z":null,"w":1e2}],
       "edges":[{"sour\u0063e":"a","target":"b","label":"}\"","data":[{"x":"]]"}]}]}
      """#)
    #expect(flow.nodes == [FlowNode(id: "a", type: "initialPrompt", data: ["text": "x"]), FlowNode(id: "b", type: "textOutput")])
    #expect(flow.edges == [FlowEdge(id: nil, source: "a", target: "b", sourceHandle: nil, targetHandle: nil)])
  }

  @Test("every shape problem names the field by its path")
  func shapes() {
    #expect(message("{}") == "params.nodes is required.")
    #expect(message(#"{"nodes":null}"#) == "params.nodes is required.")
    #expect(message(#"{"nodes":{}}"#) == "params.nodes must be an array, not an object.")
    #expect(message(#"{"nodes":[3]}"#) == "params.nodes[0] must be an object, not a number.")
    #expect(message(#"{"nodes":[{"id":"a","type":"x"},{"type":"x"}]}"#) == "params.nodes[1].id is required.")
    #expect(message(#"{"nodes":[{"id":7,"type":"x"}]}"#) == "params.nodes[0].id must be a string, not a number.")
    #expect(message(#"{"nodes":[{"id":"a","type":"x","data":[]}]}"#) == "params.nodes[0].data must be an object, not an array.")
    #expect(message(#"{"nodes":[],"edges":[{"source":"a"}]}"#) == "params.edges[0].target is required.")
    #expect(message(#"{"nodes":[],"edges":"x"}"#) == "params.edges must be an array, not a string.")
    #expect(message(#"{"nodes":[],"flow_id":false}"#) == "params.flow_id must be a string, not a boolean.")
    #expect(
      message(#"{"nodes":[],"cached_outputs":{"a":1}}"#)
        == "params.cached_outputs.a must be an object (a node output), not a number.")
    #expect(message(#"{"nodes":[],"options":{"cache":"sometimes"}}"#) == "params.options.cache must be one of use, refresh, off.")
    #expect(
      message(#"{"nodes":[],"options":{"timeout_seconds":1e308}}"#)
        == "params.options.timeout_seconds must be from 0.001 to 31536000.0 seconds.")
    #expect(
      message(#"{"nodes":[],"options":{"max_concurrency":0}}"#) == "params.options.max_concurrency must be from 1 to 10000.")
    #expect(message(#"[1,2]"#) == "params takes at most 0 positional values, got 2.")
    #expect(message(#""flow""#) == "params must be an object, not a string.")
  }

  @Test("the transport keeps params as checked bytes; bad JSON anywhere in them is a parse error")
  func envelope() throws {
    let good = try DecodedBody(Array(#"{"jsonrpc":"2.0","id":1,"method":"flow.validate","params":{"nodes":[]}}"#.utf8))
    guard case .message(.request(let request)) = good, case .raw(let raw)? = request.rawParams else {
      Issue.record("expected a request with raw params")
      return
    }
    #expect(String(decoding: raw.bytes[raw.range], as: UTF8.self) == #"{"nodes":[]}"#)
    #expect(request.params == ["nodes": []])
    // The object's members are noted as they are checked.
    #expect(raw.members?.map(\.name) == ["nodes"])
    #expect(raw.members.map { $0.map { String(decoding: raw.bytes[$0.range], as: UTF8.self) } } == ["[]"])
    for broken in [
      #"{"jsonrpc":"2.0","id":1,"method":"x","params":{"nodes":[1,]}}"#,
      #"{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":"\u12"}}"#,
      #"{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":"\#u{01}"}}"#,
      #"{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":01}}"#,
      #"{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":1}} x"#,
    ] {
      #expect(throws: JSONParseError.self, "\(broken)") { try DecodedBody(Array(broken.utf8)) }
    }
  }

  /// Params as the transport hands them over: checked, with their members noted.
  func concurrently(_ text: String) async throws(ResponseError) -> (flow: Flow, options: RunOptions) {
    let body = Array(#"{"jsonrpc":"2.0","id":1,"method":"execution.start","params":\#(text)}"#.utf8)
    guard case .message(.request(let request))? = try? DecodedBody(body), case .raw(let raw)? = request.rawParams else {
      throw .internalError("the test message did not read as a request with raw params")
    }
    #expect(raw.members != nil)
    return try await FlowParams.decodeConcurrently(raw)
  }

  /// A flow past the size at which nodes and edges are read side by side; `edgesFirst` puts
  /// `edges` before `nodes`, and `broken` spoils the last node and the first edge.
  static func largeFlow(edgesFirst: Bool = false, broken: Bool = false) -> String {
    let count = 2_000
    let nodes = (0..<count).map { index in
      broken && index == count - 1
        ? #"{"type":"textOutput"}"#
        : #"{"id":"n\#(index)","type":"initialPrompt","position":{"x":\#(index),"y":[1,{"z":"]"}]},"data":{"text":"Prompt \#(index) \u00e9 with \"quotes\" and enough words to make the flow large"}}"#
    }
    let edges = (1..<count).map { index in
      broken && index == 1
        ? #"{"id":"e1","source":7,"target":"n1"}"#
        : #"{"id":"e\#(index)","source":"n\#(index - 1)","target":"n\#(index)","sourceHandle":"text","targetHandle":"text"}"#
    }
    let nodesMember = #""nodes":[\#(nodes.joined(separator: ","))]"#
    let edgesMember = #""edges":[\#(edges.joined(separator: ","))]"#
    let lists = edgesFirst ? "\(edgesMember),\(nodesMember)" : "\(nodesMember),\(edgesMember)"
    return #"{"flow_id":"big",\#(lists),"options":{"max_concurrency":3},"cached_outputs":{"n0":{"text":"c"}}}"#
  }

  @Test("a large flow read side by side is the flow read in order")
  func concurrentMatchesSequential() async throws {
    for edgesFirst in [false, true] {
      let text = Self.largeFlow(edgesFirst: edgesFirst)
      #expect(text.utf8.count >= FlowParams.concurrentDecodingThreshold)
      let (flow, options) = try decode(text)
      let read = try await concurrently(text)
      #expect(flow.nodes.count == 2_000 && flow.edges.count == 1_999)
      #expect(read.flow.nodes == flow.nodes && read.flow.edges == flow.edges && read.flow.flowID == "big")
      #expect(read.flow.cachedOutputs["n0"]?.text == "c" && read.options == options && options.maxConcurrency == 3)
    }
  }

  @Test("read side by side, the problem reported is the first in document order, as when read in order")
  func concurrentErrorOrder() async {
    for edgesFirst in [false, true] {
      let text = Self.largeFlow(edgesFirst: edgesFirst, broken: true)
      let expected = message(text)
      #expect(
        expected == (edgesFirst ? "params.edges[0].source must be a string, not a number." : "params.nodes[1999].id is required.")
      )
      do {
        _ = try await concurrently(text)
        Issue.record("a broken flow was accepted")
      } catch {
        #expect(error.code == .invalidParams && error.message == expected)
      }
    }
  }

  @Test(
    "the nodes cut in two for two tasks read as the whole list: a cut inside a string or a node is passed over, separators may hold white space, a problem after the cut names its node"
  )
  func nodesCut() async throws {
    /// Params with 1,500 nodes whose data is `data` with `@N` standing for the node's number;
    /// `separator` goes between elements; `brokenAt` spoils one node.
    func flow(data: String, separator: String = ",", brokenAt: Int? = nil) -> String {
      let nodes = (0..<1_500).map { index in
        let nodeData = data.replacingOccurrences(of: "@N", with: String(index))
        return index == brokenAt
          ? #"{"type":"textOutput","data":{}}"#
          : #"{"id":"n\#(index)","type":"initialPrompt","data":\#(nodeData)}"#
      }
      let edges = (1..<1_500).map { #"{"source":"n\#($0 - 1)","target":"n\#($0)"}"# }
      return #"{"nodes":[\#(nodes.joined(separator: separator))],"edges":[\#(edges.joined(separator: separator))]}"#
    }
    let plain = #"{"text":"prompt @N with words enough to make the flow large enough to be cut in two, and some more words"}"#
    // Texts full of what a cut looks like: the first candidate lies inside a string.
    let cutsInText = #"{"text":"@N"# + String(repeating: "},{", count: 80) + #""}"#
    // Objects inside a node's data: the first candidate lies inside a node.
    let cutsInData = #"{"text":"@N","list":["# + Array(repeating: "{}", count: 60).joined(separator: ",") + "]}"
    let cases: [(text: String, problem: String?)] = [
      (flow(data: plain), nil),
      (flow(data: cutsInText), nil),
      (flow(data: cutsInData), nil),
      (flow(data: plain, separator: " ,\n  "), nil),
      (flow(data: plain, brokenAt: 3), "params.nodes[3].id is required."),
      (flow(data: plain, brokenAt: 1_400), "params.nodes[1400].id is required."),
    ]
    for (text, problem) in cases {
      #expect(text.utf8.count >= FlowParams.concurrentDecodingThreshold)
      let body = Array(text.utf8)
      #expect(FlowParams.cut(in: body, range: 9..<body.count, near: body.count / 2) != nil)
      if let problem {
        #expect(message(text) == problem)
        do {
          _ = try await concurrently(text)
          Issue.record("a broken flow was accepted")
        } catch {
          #expect(error.message == problem)
        }
      } else {
        let read = try await concurrently(text)
        let (flow, _) = try decode(text)
        #expect(read.flow.nodes.count == 1_500 && read.flow.nodes == flow.nodes && read.flow.edges == flow.edges)
      }
    }
  }

  @Test("a request to a method that checks its own params hands them over unchecked; any other message is checked")
  func handedOverUnchecked() throws {
    let methods: Set = ["execution.start"]
    let params = #"{"nodes":[{"id":"a","type":"textOutput","position":{"x":1x}}]}"#
    let request = #"{"jsonrpc":"2.0","id":1,"method":"execution.start","params":\#(params)}"#
    guard case .message(.request(let handed)) = try DecodedBody(Array(request.utf8), checkedByHandler: methods),
      case .raw(let raw)? = handed.rawParams
    else {
      Issue.record("expected a request with raw params")
      return
    }
    #expect(!raw.isChecked && raw.depth == 1 && raw.members?.map(\.name) == ["nodes"])
    #expect(throws: JSONParseError.self) { try raw.check() }
    for other in [
      #"{"jsonrpc":"2.0","id":1,"method":"x","params":\#(params)}"#,
      #"{"jsonrpc":"2.0","method":"execution.start","params":\#(params)}"#,
      #"{"jsonrpc":"2.0","id":1,"method":"execution.start","params":\#(params),"params":{}}"#,
      #"{"jsonrpc":"1.0","id":1,"method":"execution.start","params":\#(params)}"#,
      "[\(request)]",
    ] {
      #expect(throws: JSONParseError.self, "\(other)") { try DecodedBody(Array(other.utf8), checkedByHandler: methods) }
    }
  }

  /// How decoding `raw` ends: the flow's outline, or the error's code and message.
  func outcome(_ raw: RawJSON, concurrently: Bool) async -> String {
    do {
      let (flow, options) = concurrently ? try await FlowParams.decodeConcurrently(raw) : try FlowParams.decode(raw)
      return "flow \(flow.nodes.count) \(flow.edges.count) \(flow.nodes.last?.id ?? "-") \(options.maxConcurrency)"
    } catch {
      return "\(error.code) \(error.message)"
    }
  }

  @Test(
    "params left to the decoder: bad JSON anywhere is the parse error the transport would give, and comes before a shape problem"
  )
  func uncheckedParams() async throws {
    let large = Self.largeFlow()
    let broken = Self.largeFlow(broken: true)
    let deep = { (levels: Int) in
      large.replacingOccurrences(
        of: #""text":"Prompt 5 "#,
        with: #""deep":"# + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + #","text":"Prompt 5 "#
      )
    }
    let cases: [String] = [
      large,
      large.replacingOccurrences(of: #""x":7,"#, with: #""x":7x,"#),
      large.replacingOccurrences(of: #""id":"n5","#, with: #""id":"\q5","#),
      large.replacingOccurrences(of: #""id":"e9","#, with: #""id":"e9@@","#),
      large.replacingOccurrences(of: #""targetHandle":"text"}]"#, with: #""targetHandle":"text"},]"#),
      large.replacingOccurrences(of: #""options":{"max_concurrency":3}"#, with: #""options":{"max_concurrency":03}"#),
      large.replacingOccurrences(of: #""flow_id":"big","#, with: #""flow_id":"big","extra":[1,{"a":tru}],"#),
      broken,
      broken.replacingOccurrences(of: #""id":"e5","#, with: #""id":"e5","bad":-,"#),
      deep(505), deep(506), deep(507), deep(508),
      #"{"nodes":[{"id":"a","type":"textOutput","position":{"x":1x}}]}"#,
      #"{"nodes":[{"type":"textOutput"}],"edges":[1 2]}"#,
    ]
    for params in cases {
      // "@@" stands for a byte that is not UTF-8.
      var body = Array(#"{"jsonrpc":"2.0","id":1,"method":"execution.start","params":\#(params)}"#.utf8)
      if let marker = body.indices.dropLast().first(where: { body[$0] == 0x40 && body[$0 + 1] == 0x40 }) {
        body.replaceSubrange(marker...(marker + 1), with: [0xFF])
      }
      let expected: String
      do {
        guard case .message(.request(let checked)) = try DecodedBody(body), case .raw(let raw)? = checked.rawParams else {
          Issue.record("expected a request with raw params")
          continue
        }
        expected = await outcome(raw, concurrently: false)
      } catch {
        let answer = ResponseError.parseError("Parse error: \(error).")
        expected = "\(answer.code) \(answer.message)"
      }
      guard case .message(.request(let handed)) = try DecodedBody(body, checkedByHandler: ["execution.start"]),
        case .raw(let raw)? = handed.rawParams
      else {
        Issue.record("expected a request with raw params")
        continue
      }
      #expect(!raw.isChecked)
      let sequential = await outcome(raw, concurrently: false)
      let sideBySide = await outcome(raw, concurrently: true)
      #expect(sequential == expected, "\(params.prefix(80))")
      #expect(sideBySide == expected, "\(params.prefix(80))")
    }
  }

  @Test("the envelope reader counts nesting as the full parser does")
  func depth() {
    for levels in [509, 510, 511, 512] {
      let body =
        #"{"jsonrpc":"2.0","id":1,"method":"x","params":"# + String(repeating: "[", count: levels)
        + String(repeating: "]", count: levels) + "}"
      let parsed = (try? JSONParser.parse(Array(body.utf8))) != nil
      let read = (try? DecodedBody(Array(body.utf8))) != nil
      #expect(parsed == read, "\(levels) levels: the parser says \(parsed), the envelope reader \(read)")
    }
  }

  @Test("a message with a member twice is refused, in a single message and in a batch")
  func repeatedMembers() throws {
    let single = try DecodedBody(Array(#"{"jsonrpc":"2.0","id":4,"method":"ping","method":"shutdown"}"#.utf8))
    guard case .message(.invalid(let id, let error)) = single else {
      Issue.record("expected an invalid message, got \(single)")
      return
    }
    #expect(id == .int(4) && error.code == .invalidRequest && error.message.contains("'method'"))
    let batch = try JSONParser.parse(#"[{"jsonrpc":"2.0","id":5,"method":"ping","id":6}]"#)
    guard case .invalid(_, let batchError)? = batch.arrayValue?.first.map(IncomingMessage.init) else {
      Issue.record("expected an invalid batch element")
      return
    }
    #expect(batchError.message.contains("'id'"))
  }
}
