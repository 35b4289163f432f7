import FlowExecution
import FlowGraph
import FlowNodes
import JSON
import JSONRPC
import Testing

func node(_ id: String, _ type: String = "textOutput", _ data: JSONObject = [:]) -> FlowNode {
  FlowNode(id: id, type: type, data: data)
}

func edge(_ source: String, _ target: String, id: String? = nil, handle: String? = nil) -> FlowEdge {
  FlowEdge(id: id ?? "\(source)-\(target)", source: source, target: target, targetHandle: handle)
}

@Suite("Flow validation")
struct FlowValidationTests {
  @Test("a valid flow has no issues and a plan in topological order")
  func valid() {
    let flow = Flow(
      nodes: [node("o"), node("s", "sceneBuilder", ["setting": "castle"]), node("p", "initialPrompt", ["text": "a knight"])],
      edges: [edge("s", "o"), edge("p", "s")])
    let validation = NodeKits.standard.validate(flow)
    #expect(validation.issues == [])
    let ids = validation.plan!.nodes.map { flow.nodes[$0].id }
    #expect(ids == ["p", "s", "o"])
    #expect(validation.plan!.levels.map { $0.map { flow.nodes[$0].id } } == [["p"], ["s"], ["o"]])
  }

  @Test("every issue code is reported, all at once")
  func everyCode() {
    let flow = Flow(
      nodes: [
        node("a", "translator", [:]),  // invalid_data (language), missing_input (text)
        node("a", "textOutput"),  // duplicate_node_id
        node("u", "noSuchType"),  // unknown_node_type
        node("b"), node("c"),
        node("t", "translator", ["language": "xx", "providerId": "nope"]),  // invalid_data, unknown_provider
        node("r", "personasReplacer"),  // missing_input ×2
        node("k", "consistentCharacter", ["name": "Ada", "description": "an engineer"]),
        node("o", "textOutput", ["colour": "red", "label": "kept for the editor"]),  // unknown_data_field
      ],
      edges: [
        edge("b", "c", id: "x"), edge("c", "b", id: "x"),  // duplicate_edge_id, cycle
        edge("b", "ghost", id: "dangle"),  // dangling_edge
        edge("c", "c", id: "loop"),  // self_loop
        edge("b", "t", id: "bt"), edge("b", "t", id: "bt2"),  // duplicate_edge
        edge("k", "o", id: "ko"),  // incompatible_edge: personas on a text edge
        FlowEdge(id: "handle", source: "b", target: "o", targetHandle: "prompt"),  // unknown_handle
      ],
      providerID: "bogus", triggerNodeID: "nowhere")
    let issues = NodeKits.standard.validate(flow).issues
    let codes = Set(issues.map(\.code))
    #expect(codes == Set(ValidationIssue.Code.allCases))
    #expect(issues.contains { $0.code == .duplicateNodeID && $0.nodeID == "a" })
    #expect(issues.contains { $0.code == .unknownNodeType && $0.nodeID == "u" })
    #expect(issues.contains { $0.code == .duplicateEdgeID && $0.edgeID == "x" })
    #expect(
      issues.contains { $0.code == .danglingEdge && $0.edgeID == "dangle" && $0.nodeID == "b" && $0.message.contains("ghost") })
    #expect(issues.contains { $0.code == .selfLoop && $0.edgeID == "loop" && $0.nodeID == "c" })
    #expect(issues.contains { $0.code == .cycle && $0.path == ["b", "c"] })
    #expect(issues.contains { $0.code == .invalidData && $0.nodeID == "a" && $0.message.contains("data.language") })
    #expect(issues.contains { $0.code == .invalidData && $0.nodeID == "t" && $0.message.contains("'xx'") })
    #expect(issues.filter { $0.code == .missingInput && $0.nodeID == "r" }.count == 2)
    #expect(issues.contains { $0.code == .duplicateEdge && $0.edgeID == "bt2" && $0.severity == .warning })
    #expect(issues.contains { $0.code == .incompatibleEdge && $0.edgeID == "ko" && $0.severity == .error })
    #expect(issues.contains { $0.code == .unknownHandle && $0.edgeID == "handle" && $0.severity == .warning })
    #expect(
      issues.filter { $0.code == .unknownDataField }.map(\.message) == [
        "Node 'o' (textOutput) has data.colour, which textOutput does not use."
      ])
    #expect(issues.contains { $0.code == .unknownProvider && $0.nodeID == "t" })
    #expect(issues.contains { $0.code == .unknownProvider && $0.nodeID == nil })
    #expect(issues.contains { $0.code == .unknownTriggerNode })
  }

  @Test("cycles report the node ids around each one, in order")
  func cycles() {
    let flow = Flow(
      nodes: ["a", "b", "c", "d", "e", "f", "g"].map { node($0) },
      edges: [edge("a", "b"), edge("b", "c"), edge("c", "a"), edge("c", "d"), edge("e", "f"), edge("f", "e"), edge("g", "a")])
    let cycles = NodeKits.standard.validate(flow).issues.filter { $0.code == .cycle }
    #expect(cycles.map(\.path) == [["a", "b", "c"], ["e", "f"]])
  }

  @Test("a 100,000-node chain validates without deep recursion")
  func deepChain() {
    let count = 100_000
    let nodes = (0..<count).map { node("n\($0)") }
    let edges = (1..<count).map { edge("n\($0 - 1)", "n\($0)") } + [edge("n\(count - 1)", "n0", id: "back")]
    let validation = NodeKits.standard.validate(Flow(nodes: nodes, edges: edges))
    #expect(validation.issues.count == 1)
    #expect(validation.issues.first?.path?.count == count)
  }

  @Test("sceneBuilder and consistentCharacter data rules")
  func dataRules() {
    let flow = Flow(
      nodes: [
        node("s", "sceneBuilder", ["setting": "moon base", "mood": "epic"]),
        node("c1", "consistentCharacter", ["characters": [["name": "Ada", "description": "an engineer"]]]),
        node("c2", "consistentCharacter", ["name": "Bo"]),
        node("c3", "consistentCharacter", ["characters": [["name": "Cy"]]]),
        node("st", "storyTeller", ["tags": ["a", 1]]),
        node("p", "initialPrompt", ["text": "   "]),
      ],
      edges: [edge("p", "st")])
    let issues = NodeKits.standard.validate(flow).issues
    #expect(issues.map(\.nodeID) == ["s", "c2", "c3", "st", "p"])
    #expect(issues.allSatisfy { $0.code == .invalidData })
    #expect(issues[0].message.contains("data.setting 'moon base' is not one of"))
    #expect(issues[2].message.contains("data.characters[0].description"))
  }

  @Test("edge classes come from the target handle prefix")
  func edgeClasses() {
    #expect(EdgeClass(targetHandle: nil) == .text)
    #expect(EdgeClass(targetHandle: "text") == .text)
    #expect(EdgeClass(targetHandle: "adapter-1") == .adapter)
    #expect(EdgeClass(targetHandle: "image_in") == .image)
    #expect(EdgeClass(targetHandle: "prompt") == .text)
  }
}

@Suite("Execution plan")
struct ExecutionPlanTests {
  /// a → b → d, c → d, d → e; x → c
  static let flow = Flow(
    nodes: ["a", "b", "c", "d", "e", "x"].map { node($0) },
    edges: [edge("a", "b"), edge("b", "d"), edge("c", "d"), edge("d", "e"), edge("x", "c")])

  func plan(trigger: String?, cached: [String]) -> (nodes: [String], reused: [String]) {
    var flow = Self.flow
    flow.triggerNodeID = trigger
    flow.cachedOutputs = Dictionary(uniqueKeysWithValues: cached.map { ($0, NodeOutput(text: $0)) })
    let validation = NodeKits.standard.validate(flow)
    let plan = validation.plan!
    return (plan.nodes.map { flow.nodes[$0].id }, plan.reused.map { flow.nodes[$0].id })
  }

  @Test("without a trigger every node runs and cached outputs are ignored")
  func full() {
    #expect(plan(trigger: nil, cached: ["a"]) == (["a", "x", "b", "c", "d", "e"], []))
  }

  @Test("a trigger runs itself and downstream, reusing cached upstream outputs")
  func partialAllCached() {
    #expect(plan(trigger: "d", cached: ["b", "c"]) == (["d", "e"], ["b", "c"]))
  }

  @Test("uncached upstream nodes run too, recursively")
  func partialSomeCached() {
    #expect(plan(trigger: "d", cached: ["a", "x"]) == (["b", "c", "d", "e"], ["a", "x"]))
    #expect(plan(trigger: "d", cached: []) == (["a", "x", "b", "c", "d", "e"], []))
  }

  @Test("breadth-first traversal in both directions")
  func traversal() {
    let index = GraphIndex(Self.flow)
    #expect(index.downstream(of: index.nodeIndex["a"]!).map { Self.flow.nodes[$0].id } == ["b", "d", "e"])
    #expect(index.upstream(of: index.nodeIndex["d"]!).map { Self.flow.nodes[$0].id } == ["b", "c", "a", "x"])
  }
}

@Suite("Friendlier validation: severities, edge typing and suggestions")
struct FriendlyValidationTests {
  @Test("unknown names carry the closest known one")
  func suggestions() {
    let flow = Flow(
      nodes: [
        node("p", "promtEnhancer"), node("t", "translator", ["language": "fn", "providerId": "mistrl"]),
        node("s", "sceneBuilder", ["setting": "forrest"]), node("q", "initialPrompt", ["text": "x", "modle": "m"]),
      ],
      edges: [edge("q", "t")], providerID: "claud")
    let messages = NodeKits.standard.validate(flow).issues.map(\.message)
    #expect(messages.contains("Node 'p' has the unknown type 'promtEnhancer'; did you mean 'promptEnhancer'?"))
    #expect(messages.contains { $0.contains("data.providerId; did you mean 'mistral'?") })
    #expect(
      messages.contains {
        $0.hasPrefix("The flow's provider_id 'claud' names no known provider (known: ")
          && $0.hasSuffix("; did you mean 'claude'?")
      })
    #expect(messages.contains { $0.contains("'forrest' is not one of") && $0.hasSuffix("did you mean 'forest'?") })
    #expect(messages.contains { $0.contains("'fn' is not one of") && $0.contains("did you mean") })
    #expect(messages.contains("Node 'q' (initialPrompt) has data.modle, which initialPrompt does not use; did you mean 'model'?"))
  }

  @Test("nothing close, no suggestion")
  func noSuggestion() {
    #expect(Suggestion.closest(to: "zzzzzzzz", in: ["translator", "compressor"]) == nil)
    #expect(Suggestion.closest(to: "TRANSLATOR", in: ["translator"]) == "translator")
    #expect(Suggestion.closest(to: "tarnslator", in: ["translator"]) == "translator")
  }

  @Test("warnings do not make a flow invalid; errors do")
  func severities() {
    let warned = NodeKits.standard.validate(
      Flow(
        nodes: [node("a", "initialPrompt", ["text": "x", "colour": "red"]), node("o")],
        edges: [edge("a", "o", handle: "prompt"), edge("a", "o", id: "again", handle: "prompt")]))
    #expect(warned.isValid)
    #expect(warned.issues.map(\.code) == [.unknownDataField, .unknownHandle, .duplicateEdge, .unknownHandle])
    #expect(warned.issues.allSatisfy { $0.severity == .warning })
    let broken = NodeKits.standard.validate(
      Flow(
        nodes: [
          node("k", "consistentCharacter", ["name": "Ada", "description": "x"]), node("t", "translator", ["language": "fr"]),
        ],
        edges: [edge("k", "t")]))
    #expect(!broken.isValid)
    #expect(broken.errors.map(\.code) == [.incompatibleEdge])
    #expect(broken.errors[0].message.contains("targetHandle \"adapter\""))
  }

  @Test("an edge into a node that takes no input of its class is incompatible")
  func targetTakesNothing() {
    let validation = NodeKits.standard.validate(
      Flow(
        nodes: [node("a", "initialPrompt", ["text": "x"]), node("k", "consistentCharacter", ["name": "A", "description": "b"])],
        edges: [edge("a", "k")]))
    #expect(validation.errors.map(\.code) == [.incompatibleEdge])
    #expect(validation.errors[0].message.contains("takes no inputs"))
  }

  @Test("an editor's own data keys draw no warning")
  func editorKeys() {
    let validation = NodeKits.standard.validate(
      Flow(nodes: [node("a", "initialPrompt", ["text": "x", "label": "Start", "color": "#fff"])], edges: []))
    #expect(validation.issues.isEmpty)
  }
}

@Suite("Node kits")
struct NodeKitTests {
  @Test("the catalogue, executors and model defaults all derive from the kits")
  func derived() {
    let kits = NodeKits.standard
    #expect(kits.catalog.typeNames == kits.kits.map(\.type))
    #expect(Set(kits.executors.types) == Set(kits.catalog.typeNames))
    for kit in kits.kits where kit.descriptor.callsProvider {
      #expect(kit.modelDefault != nil, "\(kit.type) calls a provider but has no model default")
      #expect(!kit.templates.isEmpty, "\(kit.type) calls a provider but names no template")
    }
    #expect(Set(kits.modelDefaults.keys) == Set(kits.kits.filter { $0.modelDefault != nil }.map(\.type)))
  }

  @Test("a new node type is one kit: it validates, lists and runs with nothing else changed")
  func oneMoreKit() throws {
    let shout = NodeKit(
      descriptor: NodeTypeDescriptor(
        type: "shout", category: .text, callsProvider: false, inputs: [.text], requiredInputs: [.text], output: [.text],
        dataFields: []),
      execution: .inline { context in NodeOutput(text: context.inputs.mergedText.uppercased()) })
    let kits = NodeKits(NodeKits.standard.kits + [shout])
    let validation = kits.validate(
      Flow(nodes: [node("a", "initialPrompt", ["text": "hi"]), node("s", "shout")], edges: [edge("a", "s")]))
    #expect(validation.isValid)
    #expect(kits.catalog.descriptor(for: "shout") != nil)
    #expect(kits.executors.execution(for: "shout") != nil)
    #expect(NodeKits.standard.validate(Flow(nodes: [node("s", "shout")], edges: [])).errors.map(\.code) == [.unknownNodeType])
  }
}

@Suite("Flow validation on two tasks")
struct ConcurrentValidationTests {
  /// `copies` copies of a pattern with an issue of every kind (ids suffixed per copy), and
  /// one copy of a valid chain.
  static func flow(copies: Int, trigger: String? = nil) -> Flow {
    var nodes: [FlowNode] = []
    var edges: [FlowEdge] = []
    for copy in 0..<copies {
      let n = { (id: String) in "\(id)\(copy)" }
      nodes += [
        node(n("a"), "translator", [:]), node(n("a"), "textOutput"), node(n("u"), "noSuchType"), node(n("b")),
        node(n("c")), node(n("t"), "translator", ["language": "xx", "providerId": "nope"]),
        node(n("r"), "personasReplacer"), node(n("k"), "consistentCharacter", ["name": "Ada", "description": "an engineer"]),
        node(n("o"), "textOutput", ["colour": "red"]),
      ]
      edges += [
        edge(n("b"), n("c"), id: n("x")), edge(n("c"), n("b"), id: n("x")), edge(n("b"), n("ghost"), id: n("dangle")),
        edge(n("c"), n("c"), id: n("loop")), edge(n("b"), n("t"), id: n("bt")), edge(n("b"), n("t"), id: n("bt2")),
        edge(n("k"), n("o"), id: n("ko")), FlowEdge(id: n("handle"), source: n("b"), target: n("o"), targetHandle: "prompt"),
      ]
    }
    nodes += [node("p", "initialPrompt", ["text": "a knight"]), node("s", "sceneBuilder", ["setting": "castle"]), node("end")]
    edges += [edge("p", "s"), edge("s", "end")]
    return Flow(nodes: nodes, edges: edges, providerID: copies > 0 ? "bogus" : nil, triggerNodeID: trigger)
  }

  @Test("a large flow validated on two tasks has the same issues, in the same order, and the same plan")
  func sameAsInOrder() async {
    for flow in [
      Self.flow(copies: 150), Self.flow(copies: 0), Self.flow(copies: 150, trigger: "s"), Self.flow(copies: 0, trigger: "s"),
    ] {
      let inOrder = NodeKits.standard.validate(flow)
      let sideBySide = await FlowValidation.concurrently(
        flow, catalog: NodeKits.standard.catalog, knownProviders: NodeKits.knownProviders, minimumNodes: 0)
      #expect(sideBySide.issues == inOrder.issues)
      #expect(sideBySide.plan?.nodes == inOrder.plan?.nodes && sideBySide.plan?.levels == inOrder.plan?.levels)
      #expect(sideBySide.plan?.reused == inOrder.plan?.reused)
    }
    let large = Self.flow(copies: 150)
    #expect(large.nodes.count >= FlowValidation.concurrentNodeCount)
    #expect(Set(NodeKits.standard.validate(large).issues.map(\.code)).count == ValidationIssue.Code.allCases.count - 1)
  }
}
