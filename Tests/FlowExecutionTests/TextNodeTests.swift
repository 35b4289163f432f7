import FlowExecution
import FlowGraph
import FlowNodes
import FlowProviders
import FlowRunnerTestSupport
import JSON
import JSONRPC
import Testing

@Suite("Model resolution")
struct ModelResolverTests {
  let keyed = NodeKits.standard.services(
    providers: ProviderConfiguration(settings: [
      "mistral": ProviderSettings(apiKey: APIKey("k"), defaultModel: "mistral-large-latest"),
      "openrouter": ProviderSettings(apiKey: APIKey("k")),
    ]),
    modelDefaults: ["grammarFix": ModelDefault(providerID: "claude")])

  func node(_ type: String, _ data: JSONObject = [:]) -> FlowNode { FlowNode(id: "n", type: type, data: data) }

  @Test("node override first, with the provider's default model when none is given")
  func nodeOverride() throws {
    let choice = try ModelResolver.resolve(
      node: node("translator", ["providerId": "mistral"]), flowProviderID: "openrouter", services: keyed)
    #expect(choice == ModelChoice(providerID: "mistral", model: "mistral-large-latest", source: .node))
    let withModel = try ModelResolver.resolve(
      node: node("translator", ["providerId": "echo", "model": "echo-2"]), flowProviderID: nil, services: keyed)
    #expect(withModel == ModelChoice(providerID: "echo", model: "echo-2", source: .node))
  }

  @Test("the node-type default when its provider has credentials, passed over when it has none")
  func nodeTypeDefault() throws {
    let translator = try ModelResolver.resolve(node: node("translator"), flowProviderID: "openrouter", services: keyed)
    #expect(translator == ModelChoice(providerID: "mistral", model: "mistral-small-latest", source: .nodeTypeDefault))
    // grammarFix defaults to claude here, which has no key: the flow's provider is used.
    let grammar = try ModelResolver.resolve(node: node("grammarFix"), flowProviderID: "openrouter", services: keyed)
    #expect(grammar == ModelChoice(providerID: "openrouter", model: "openai/gpt-4o-mini", source: .flow))
  }

  @Test("a flow on echo is a dry run: node overrides and type defaults give way to echo")
  func dryRun() throws {
    for data: JSONObject in [["providerId": "mistral", "model": "mistral-large-latest"], [:]] {
      let choice = try ModelResolver.resolve(node: node("translator", data), flowProviderID: "echo", services: keyed)
      #expect(choice == ModelChoice(providerID: "echo", model: "echo-1", source: .dryRun))
    }
  }

  @Test("no match, or a named provider without credentials, is provider_not_configured with a fix")
  func notConfigured() {
    #expect(throws: NodeError.self) { try ModelResolver.resolve(node: node("storyTeller"), flowProviderID: nil, services: keyed) }
    do {
      _ = try ModelResolver.resolve(
        node: node("compressor", ["providerId": "glm"]), flowProviderID: "openrouter", services: keyed)
      Issue.record("expected an error")
    } catch {
      #expect(error.code == .providerNotConfigured)
      #expect(error.message == "glm: no API key; set GLM_API_KEY or ZHIPUAI_API_KEY or pass providers.glm.api_key in initialize.")
      #expect(error.providerID == "glm")
    }
  }
}

@Suite("Prompt templates and the echo provider")
struct TemplateTests {
  @Test("templates are versioned, system first, and carry their inputs")
  func templates() {
    let translate = Translator.translate("Bonjour", languageName: "German")
    #expect(translate.name == "translate" && translate.identity.version == "1")
    #expect(translate.messages.map(\.role) == ["system", "user"])
    #expect(translate.messages[0].content.contains("German"))
    #expect(translate.messages[1].content == "Bonjour")
    let story = StoryTeller.storyteller("a fox", tags: ["winter", "friendship"])
    #expect(story.messages[0].content.contains("winter, friendship"))
    let persona = InitialPrompt.injectPersona([["name": "Ada", "description": "an engineer", "hair": "red"]], prompt: "a lab")
    #expect(persona.messages[1].content == "Characters:\n- Ada: an engineer (hair: red)\n\nPrompt:\na lab")
    #expect(PromptEnhancer.enhance("x", notes: "short").messages[1].content == "x\n\nNotes: short")
    #expect(GrammarFix.grammarFix("x", style: "formal").messages[0].content.contains("formal"))
    #expect(Compressor.compress("x").name == "compress")
    #expect(PersonasReplacer.replace("a man", personas: []).name == "replace")
  }

  @Test("echo answers deterministically from the request, counting words as tokens")
  func echo() async throws {
    let request = ChatRequest(model: "echo-1", messages: [.system("be brief"), .user("  hello \n  world ")])
    let first = try await EchoProvider().complete(request)
    let second = try await EchoProvider().complete(request)
    #expect(first == second)
    #expect(first.text == "[echo] hello world")
    #expect(first.inputTokens == 4)
    #expect(first.outputTokens == 3)
  }
}

@Suite("Text nodes in runs")
struct TextNodeRunTests {
  func run(_ flow: Flow, services: ExecutionServices) async throws -> (EventLogChecker.Summary, [JSONValue]) {
    let sink = CollectingSink()
    let runs = RunManager(executors: NodeKits.standard.executors, sink: sink)
    let validation = NodeKits.standard.validate(flow)
    #expect(validation.issues == [])
    let prepared = try runs.prepare(validation, options: RunOptions(), services: services)
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    let log = sink.log(prepared.runID)
    let flowJSON: JSONValue = [
      "edges": .array(flow.edges.map { ["source": .string($0.source), "target": .string($0.target)] })
    ]
    return (try EventLogChecker(flow: flowJSON).check(log), log)
  }

  @Test("every text node runs through echo with model, usage and provider calls reported")
  func echoRun() async throws {
    let types = ["promptEnhancer", "translator", "storyTeller", "grammarFix", "compressor"]
    var nodes = [
      FlowNode(id: "p", type: "initialPrompt", data: ["text": "a knight"]),
      FlowNode(id: "c", type: "consistentCharacter", data: ["name": "Ada", "description": "an engineer"]),
      FlowNode(id: "r", type: "personasReplacer"),
    ]
    var edges = [FlowEdge(source: "p", target: "r"), FlowEdge(source: "c", target: "r", targetHandle: "adapter")]
    for type in types {
      nodes.append(FlowNode(id: type, type: type, data: type == "translator" ? ["language": "ja"] : [:]))
      edges.append(FlowEdge(source: "p", target: type))
    }
    let (summary, _) = try await run(
      Flow(flowID: "text", nodes: nodes, edges: edges, providerID: "echo"), services: NodeKits.standard.services())
    #expect(summary.terminalMethod == "execution.completed")
    let outputs = try #require(summary.terminal["outputs"]?.objectValue)
    for type in types + ["r"] {
      #expect(outputs[type]?["text"]?.stringValue?.hasPrefix("[echo] ") == true, "\(type)")
      #expect(outputs[type]?["model"] == ["provider_id": "echo", "model": "echo-1", "source": "dry_run"])
      #expect(outputs[type]?["usage"]?["output_tokens"]?.intValue ?? 0 > 0)
    }
    #expect(outputs["p"]?["text"] == "a knight")
    #expect(outputs["translator"]?["text"] == "[echo] a knight")
    #expect(summary.terminal["usage"]?["provider_calls"] == 6)
  }

  @Test("a node whose provider has no credentials fails with a fix, and its downstream is skipped")
  func unconfigured() async throws {
    let flow = Flow(
      flowID: "keyless",
      nodes: [
        FlowNode(id: "p", type: "initialPrompt", data: ["text": "a knight"]),
        FlowNode(id: "t", type: "translator", data: ["language": "fr", "providerId": "mistral"]),
        FlowNode(id: "o", type: "textOutput"),
      ],
      edges: [FlowEdge(source: "p", target: "t"), FlowEdge(source: "t", target: "o")])
    let (summary, log) = try await run(flow, services: NodeKits.standard.services())
    #expect(summary.nodeOutcome == ["p": "completed", "t": "failed", "o": "skipped"])
    let failure = try #require(log.first { $0["method"] == "execution.node.failed" })
    #expect(failure["params"]?["error"]?["code"] == "provider_not_configured")
    #expect(failure["params"]?["error"]?["message"]?.stringValue?.contains("MISTRAL_API_KEY") == true)
    #expect(summary.terminal["usage"]?["provider_calls"] == 0)
  }
}
