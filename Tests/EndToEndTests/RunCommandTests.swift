import FakeProvider
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

@Suite("flowrunner run / validate / nodes, against the built binary")
struct RunCommandTests {
  func path(_ relative: String) -> String { FixtureFiles.root.appendingPathComponent(relative).path }

  @Test("run prints the final outputs and exits 0", arguments: FixtureFiles.validFlows)
  func runFixture(_ name: String) async throws {
    let peer = try ProcessPeer(arguments: ["run", path("flows/\(name).json")])
    #expect(try await peer.waitForExit(timeout: .seconds(20)) == 0)
    try await peer.output.waitUntilClosed()
    let stdout = String(decoding: peer.output.rawOutput, as: UTF8.self)
    #expect(!stdout.isEmpty)
    #expect(String(decoding: try await peer.standardErrorToEnd(), as: UTF8.self).contains("completed"))
  }

  @Test("run --json prints the notification stream, which keeps the invariants")
  func runJSON() async throws {
    let flow = try FixtureFiles.json("flows/fan-out-fan-in.json")
    let peer = try ProcessPeer(
      options: PeerOptions(framing: .ndjson), arguments: ["run", path("flows/fan-out-fan-in.json"), "--json"])
    #expect(try await peer.waitForExit(timeout: .seconds(20)) == 0)
    try await peer.output.waitUntilClosed()
    let log = try await peer.output.drain(after: .zero)
    try EventLogChecker(flow: flow).check(log)
    #expect(peer.output.frameErrors.isEmpty)
  }

  @Test("run --images-dir writes the final image to a file and prints where; without it, what the image is")
  func runImages() async throws {
    let directory = try JournalEndToEndTests.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let written = try ProcessPeer(arguments: ["run", path("flows/scene-generate.json"), "--images-dir", directory.path])
    #expect(try await written.waitForExit(timeout: .seconds(20)) == 0)
    try await written.output.waitUntilClosed()
    let line = String(decoding: written.output.rawOutput, as: UTF8.self)
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".png") }
    #expect(files.count == 1)
    #expect(line.hasPrefix(directory.path + "/" + (files.first ?? "?")) && line.contains("image/png 48x64"), "\(line)")
    let described = try ProcessPeer(arguments: ["run", path("flows/scene-generate.json")])
    #expect(try await described.waitForExit(timeout: .seconds(20)) == 0)
    try await described.output.waitUntilClosed()
    #expect(String(decoding: described.output.rawOutput, as: UTF8.self).contains("--images-dir DIR writes it"))
  }

  @Test("run and validate refuse an invalid flow with its issues and exit 1")
  func invalid() async throws {
    for command in ["run", "validate"] {
      let peer = try ProcessPeer(arguments: [command, path("flows/invalid/cycle.json")])
      #expect(try await peer.waitForExit(timeout: .seconds(10)) == 1)
      try await peer.output.waitUntilClosed()
      let text = String(decoding: peer.output.rawOutput + (try await peer.standardErrorToEnd()), as: UTF8.self)
      #expect(text.contains("cycle"), "\(command): \(text)")
    }
  }

  @Test("--trigger runs a partial flow; --provider must be known")
  func overrides() async throws {
    let partial = try ProcessPeer(arguments: ["run", path("flows/scene-prompt.json"), "--trigger", "out", "--json"])
    #expect(try await partial.waitForExit(timeout: .seconds(10)) == 0)
    try await partial.output.waitUntilClosed()
    let started = try await partial.output.next()
    #expect(started["params"]?["node_ids"] == ["prompt", "scene", "out"])
    let unknown = try ProcessPeer(arguments: ["run", path("flows/scene-prompt.json"), "--provider", "acme"])
    #expect(try await unknown.waitForExit(timeout: .seconds(10)) == 1)
  }

  @Test("validate accepts a valid flow; nodes lists the catalogue")
  func validateAndNodes() async throws {
    let valid = try ProcessPeer(arguments: ["validate", path("flows/long-chain.json"), "--json"])
    #expect(try await valid.waitForExit(timeout: .seconds(10)) == 0)
    try await valid.output.waitUntilClosed()
    let result = try JSONParser.parse(valid.output.rawOutput)
    #expect(result["valid"] == true)
    #expect(result["plan"]?["levels"]?.arrayValue?.count == 41)
    let nodes = try ProcessPeer(arguments: ["nodes", "--json"])
    #expect(try await nodes.waitForExit(timeout: .seconds(10)) == 0)
    try await nodes.output.waitUntilClosed()
    #expect(try JSONParser.parse(nodes.output.rawOutput)["node_types"]?.arrayValue?.count == 12)
  }

  @Test("Ctrl-C cancels the run gracefully: exit 130")
  func interrupt() async throws {
    // A provider call that answers only after a minute: the run cannot end on its own, however
    // slowly this test gets to send the signal.
    let server = try await FakeProviderServer.start()
    let flow = LifecycleEndToEndTests.slowFlow(count: 1, latencyMS: 60_000)
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-slow-\(UUID()).json")
    try Data(flow.description.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let peer = try ProcessPeer(
      options: PeerOptions(environment: providerEnvironment("mistral", server: server, key: "sk-int")),
      arguments: ["run", file.path])
    try await peer.waitForStandardError(containing: "e0 (promptEnhancer) running")
    kill(peer.processID, SIGINT)
    #expect(try await peer.waitForExit(timeout: .seconds(10)) == 130)
    #expect(String(decoding: (try await peer.standardErrorToEnd()).suffix(4096), as: UTF8.self).contains("cancelled after"))
  }
}

@Suite("One command-line contract: exit codes, --json and messages, against the built binary")
struct CommandLineContractTests {
  struct Outcome {
    var code: Int32
    var stdout: String
    var stderr: String
  }

  func invoke(_ arguments: [String]) async throws -> Outcome {
    let peer = try ProcessPeer(arguments: arguments)
    let code = try await peer.waitForExit(timeout: .seconds(20))
    try await peer.output.waitUntilClosed()
    let stderr = String(decoding: try await peer.standardErrorToEnd(), as: UTF8.self)
    return Outcome(code: code, stdout: String(decoding: peer.output.rawOutput, as: UTF8.self), stderr: stderr)
  }

  /// A flow file with `text`, for the caller to remove.
  func temporary(_ text: String) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-cli-\(UUID()).json")
    try Data(text.utf8).write(to: file)
    return file.path
  }

  @Test("every way a flow file or a flag can be bad: exit 2, one sentence, a JSON error under --json")
  func badInput() async throws {
    let malformed = try temporary("{\"nodes\":[\n  {\"id\": \"a\" \"type\": \"x\"}]}")
    let empty = try temporary("")
    let shapeless = try temporary(#"{"nodes":[{"type":"textOutput"}]}"#)
    defer { for path in [malformed, empty, shapeless] { try? FileManager.default.removeItem(atPath: path) } }
    let flow = FixtureFiles.root.appendingPathComponent("flows/scene-prompt.json").path
    let cases: [(arguments: [String], stderr: String, code: Int)] = [
      (["run", malformed], "\(malformed):2:14: expected ',' or '}' in an object.", -32700),
      (["validate", malformed], "\(malformed):2:14: expected ',' or '}' in an object.", -32700),
      (["run", empty], "\(empty):1:1: unexpected end of input.", -32700),
      (
        ["run", "/nonexistent/flow.json"], "Cannot read the flow file /nonexistent/flow.json: No such file or directory.", -32602
      ),
      (["run", shapeless], "\(shapeless): flow.nodes[0].id is required.", -32602),
      (["run", flow, "--max-concurrency", "0"], "--max-concurrency must be from 1 to 10000.", -32602),
      (["run", flow, "--timeout", "0"], "--timeout must be from 0.001 to 31536000.0 seconds.", -32602),
      (["run", flow, "--timeout", "-1"], "--timeout must be from 0.001 to 31536000.0 seconds.", -32602),
      (["run", flow, "--timeout", "1e308"], "--timeout must be from 0.001 to 31536000.0 seconds.", -32602),
    ]
    for item in cases {
      let text = try await invoke(item.arguments)
      #expect(text.code == 2, "\(item.arguments): exit \(text.code)")
      #expect(text.stderr.contains(item.stderr), "\(item.arguments): \(text.stderr)")
      #expect(!text.stderr.contains("Usage:"), "\(item.arguments) printed a usage line")
      #expect(text.stdout.isEmpty, "\(item.arguments) wrote to stdout without --json")
      let json = try await invoke(item.arguments + ["--json"])
      #expect(json.code == 2)
      let error = try JSONParser.parse(json.stdout)
      #expect(error["error"]?["code"] == .int(item.code), "\(item.arguments): \(json.stdout)")
    }
  }

  @Test("an invalid flow: exit 1 with its issues, as the -32602 error under run --json and the result under validate --json")
  func invalidFlow() async throws {
    let cycle = FixtureFiles.root.appendingPathComponent("flows/invalid/cycle.json").path
    let ran = try await invoke(["run", cycle, "--json"])
    #expect(ran.code == 1)
    let error = try JSONParser.parse(ran.stdout)
    #expect(error["error"]?["code"] == -32602)
    #expect(error["error"]?["data"]?["issues"]?.arrayValue?.first?["code"] == "cycle")
    let validate = try await invoke(["validate", cycle, "--json"])
    #expect(validate.code == 1)
    #expect(try JSONParser.parse(validate.stdout)["valid"] == false)
  }

  @Test("counts read as English: one node, one level")
  func plurals() async throws {
    let single = try temporary(#"{"nodes":[{"id":"a","type":"initialPrompt","data":{"text":"x"}}]}"#)
    defer { try? FileManager.default.removeItem(atPath: single) }
    let text = try await invoke(["validate", single])
    #expect(text.code == 0)
    #expect(text.stdout.contains("valid: 1 node to run in 1 level"), "\(text.stdout)")
  }
}
