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
    #expect(try JSONParser.parse(nodes.output.rawOutput)["node_types"]?.arrayValue?.count == 10)
  }

  @Test("Ctrl-C cancels the run gracefully: exit 130")
  func interrupt() async throws {
    // A long chain, written as text directly: building it as JSON values would cost the test
    // process more than the engine spends running it.
    let count = 150_000
    var text = #"{"nodes":["#
    text.reserveCapacity(count * 80)
    for index in 0..<count { text += (index > 0 ? "," : "") + #"{"id":"n\#(index)","type":"textOutput"}"# }
    text += #"],"edges":["#
    for index in 1..<count { text += (index > 1 ? "," : "") + #"{"source":"n\#(index - 1)","target":"n\#(index)"}"# }
    text += "]}"
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-long-\(UUID()).json")
    try Data(text.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let peer = try ProcessPeer(arguments: ["run", file.path])
    try await peer.waitForStandardError(containing: "running")
    kill(peer.processID, SIGINT)
    #expect(try await peer.waitForExit(timeout: .seconds(10)) == 130)
    #expect(String(decoding: (try await peer.standardErrorToEnd()).suffix(4096), as: UTF8.self).contains("cancelled after"))
  }
}
