import JSON
import JSONRPC
import Testing

extension ConformanceCase {
  /// Checklist items 13–24: JSON-RPC 2.0 messages (item 25, a handler fault, needs a faulty
  /// handler and is tested at the connection level).
  public static let messages: [ConformanceCase] = [
    ConformanceCase("13 positional and named params") { peer in
      try peer.sendLSP(requestBody("initialize", id: 1, params: [["name": "positional", "version": "1"], ["echo": [:]]]))
      expectResult(try await peer.next(), id: 1)
      try peer.sendLSP(requestBody("providers.list", id: 2, params: []))
      expectResult(try await peer.next(), id: 2)
      try peer.sendLSP(requestBody("providers.list", id: 3, params: [:]))
      expectResult(try await peer.next(), id: 3)
      try peer.sendLSP(notificationBody("$/cancelRequest", params: [42]))
      try peer.sendLSP(requestBody("initialize", id: 4, params: ["client_info": ["name": "named"]]))
      expectError(try await peer.next(), code: -32600, id: 4)
    },
    ConformanceCase("14 notifications are never answered, not even on error") { peer in
      try await peer.initialize()
      try peer.sendLSP(notificationBody("no.such.notification", params: ["x": 1]))
      try peer.sendLSP(notificationBody("$/cancelRequest", params: ["id": ["not": "an id"]]))
      try peer.sendLSP(notificationBody("initialized", params: [1, 2, 3]))
      try peer.sendLSP(requestBody("ping", id: 5))
      expectResult(try await peer.next(), id: 5)
      #expect(try await peer.messagesBeforePing().isEmpty)
    },
    ConformanceCase("15 unknown method: -32601 with the id's JSON type echoed") { peer in
      try await peer.initialize()
      try peer.sendLSP(requestBody("no.such.method", id: "1"))
      expectError(try await peer.next(), code: -32601, id: "1")
      try peer.sendLSP(requestBody("no.such.method", id: 0))
      let numeric = try await peer.next()
      expectError(numeric, code: -32601, id: 0)
      #expect(numeric["id"] == .int(0))
    },
    ConformanceCase("16 malformed JSON: -32700 with id null") { peer in
      try peer.sendLSP(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#)
      expectError(try await peer.next(), code: -32700)
    },
    ConformanceCase("16b bad JSON in a large flow's params: -32700 with the request's id for the flow methods, id null otherwise")
    { peer in
      try await peer.initialize()
      // 300 KiB of nodes, then one broken value; the envelope around the params is sound.
      let nodes = (0..<2_000).map {
        #"{"id":"n\#($0)","type":"textOutput","data":{"label":"\#(String(repeating: "x", count: 100))"}}"#
      }
      let params = #"{"nodes":[\#(nodes.joined(separator: ","))],"edges":[{"source":"n0","target":"n1","width":12x}]}"#
      for (method, id) in [("execution.start", JSONValue.int(7)), ("flow.validate", .string("v")), ("ping", .int(8))] {
        try peer.sendLSP(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        // Reading 300 KiB takes a debug-built in-process engine a while when every other case
        // of the checklist starts at the same moment: a generous bound on an awaited answer.
        let error = try await peer.next(timeout: .seconds(30))
        expectError(error, code: -32700, id: method == "ping" ? .null : id)
        #expect(error["error"]?["message"]?.stringValue?.hasPrefix("Parse error: ") == true, "\(error)")
      }
      try peer.sendLSP(requestBody("ping", id: 9))
      expectResult(try await peer.next(), id: 9)
    },
    ConformanceCase("17 method of the wrong type: -32600 with id null") { peer in
      try peer.sendLSP(#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#)
      expectError(try await peer.next(), code: -32600)
    },
    ConformanceCase("18 jsonrpc missing or 1.0: -32600") { peer in
      try peer.sendLSP(#"{"id":1,"method":"ping"}"#)
      expectError(try await peer.next(), code: -32600, id: 1)
      try peer.sendLSP(#"{"jsonrpc":"1.0","id":2,"method":"ping"}"#)
      expectError(try await peer.next(), code: -32600, id: 2)
    },
    ConformanceCase("19 malformed batch: one -32700 object") { peer in
      try peer.sendLSP(#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method""#)
      let response = try await peer.next()
      expectError(response, code: -32700)
      #expect(response.arrayValue == nil)
    },
    ConformanceCase("20 empty batch: one -32600 object") { peer in
      try peer.sendLSP("[]")
      let response = try await peer.next()
      expectError(response, code: -32600)
      #expect(response.arrayValue == nil)
    },
    ConformanceCase("21 batches of non-objects: one -32600 per element") { peer in
      try peer.sendLSP("[1]")
      let one = try #require(try await peer.next().arrayValue)
      #expect(one.count == 1)
      expectError(one[0], code: -32600)
      try peer.sendLSP("[1,2,3]")
      let three = try #require(try await peer.next().arrayValue)
      #expect(three.count == 3)
      for element in three { expectError(element, code: -32600) }
    },
    ConformanceCase("22 mixed batch: one entry per non-notification") { peer in
      try await peer.initialize()
      try peer.sendLSP(
        """
        [{"jsonrpc":"2.0","method":"ping","id":"1"},
         {"jsonrpc":"2.0","method":"notify_hello","params":[7]},
         {"jsonrpc":"2.0","method":"providers.list","id":"2"},
         {"foo":"boo"},
         {"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},
         {"jsonrpc":"2.0","method":"ping","id":"9"}]
        """)
      let batch = try #require(try await peer.next().arrayValue)
      #expect(batch.count == 5)
      let byID = Dictionary(batch.map { ($0["id"]!, $0) }, uniquingKeysWith: { first, _ in first })
      expectResult(try #require(byID["1"]), id: "1")
      expectResult(try #require(byID["2"]), id: "2")
      expectResult(try #require(byID["9"]), id: "9")
      expectError(try #require(byID["5"]), code: -32601, id: "5")
      expectError(try #require(byID[.null]), code: -32600)
    },
    ConformanceCase("23 batch of notifications only: no output") { peer in
      try await peer.initialize()
      try peer.sendLSP(#"[{"jsonrpc":"2.0","method":"notify_sum","params":[1,2,4]},{"jsonrpc":"2.0","method":"initialized"}]"#)
      try peer.sendLSP(requestBody("ping", id: 77))
      expectResult(try await peer.next(), id: 77)
      #expect(try await peer.messagesBeforePing().isEmpty)
    },
    ConformanceCase("24 invalid params: -32602 naming the field") { peer in
      try peer.sendLSP(requestBody("initialize", id: 1, params: ["providers": "mistral"]))
      let wrongType = try await peer.next()
      expectError(wrongType, code: -32602, id: 1)
      #expect(wrongType["error"]?["message"]?.stringValue?.contains("params.providers") == true)
      try peer.sendLSP(requestBody("initialize", id: 2, params: ["model_defaults": ["translator": ["model": "x"]]]))
      let missing = try await peer.next()
      expectError(missing, code: -32602, id: 2)
      #expect(missing["error"]?["message"]?.stringValue?.contains("params.model_defaults.translator.provider_id") == true)
      try peer.sendLSP(requestBody("initialize", id: 3, params: "bad"))
      expectError(try await peer.next(), code: -32600, id: 3)
      try await peer.initialize()
    },
  ]
}
