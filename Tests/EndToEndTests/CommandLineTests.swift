import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

@Suite("Command line and secrets, against the built binary")
struct CommandLineTests {
  @Test("--version prints the version and exits 0")
  func version() async throws {
    let peer = try ProcessPeer(arguments: ["--version"])
    #expect(try await peer.waitForExit(timeout: .seconds(5)) == 0)
    try await peer.output.waitUntilClosed()
    #expect(String(decoding: peer.output.rawOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
  }

  @Test("an unreadable or invalid --config fails at start with a clear message")
  func badConfig() async throws {
    let missing = try ProcessPeer(arguments: ["serve", "--config", "/nonexistent/flowrunner.json"])
    #expect(try await missing.waitForExit(timeout: .seconds(5)) != 0)
    #expect(String(decoding: try await missing.standardErrorToEnd(), as: UTF8.self).contains("/nonexistent/flowrunner.json"))

    let file = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-bad-\(UUID()).json")
    try Data(#"{"providers":{"mistral":{"api_key":"sk-canary-file","max_concurrency":"x"}}}"#.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let invalid = try ProcessPeer(arguments: ["serve", "--config", file.path])
    #expect(try await invalid.waitForExit(timeout: .seconds(5)) != 0)
    let stderr = String(decoding: try await invalid.standardErrorToEnd(), as: UTF8.self)
    #expect(stderr.contains("config.providers.mistral.max_concurrency"))
    #expect(!stderr.contains("sk-canary-file"))
  }

  @Test("keys from the environment, the config file and initialize are used but never written anywhere")
  func canaryKeys() async throws {
    let canaries = ["sk-canary-env-7f3a", "sk-canary-file-91bc", "sk-canary-init-c0de"]
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-config-\(UUID()).json")
    try Data(#"{"providers":{"claude":{"api_key":"\#(canaries[1])","default_model":"claude-file-model"}}}"#.utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let peer = try ProcessPeer(
      options: PeerOptions(
        environment: ["MISTRAL_API_KEY": canaries[0]], extraArguments: ["--config", file.path, "--log-level", "trace"]))
    // Error paths first: a rejected initialize that carries a key.
    try peer.sendLSP(
      requestBody("initialize", id: 1, params: ["providers": ["glm": ["api_key": .string(canaries[2]), "base_url": "nope"]]]))
    expectError(try await peer.next(), code: -32602, id: 1)
    try peer.sendLSP(
      requestBody(
        "initialize", id: 2, params: ["providers": ["glm": ["api_key": .string(canaries[2]), "bogus": .string(canaries[2])]]]))
    expectError(try await peer.next(), code: -32602, id: 2)
    let initialized = try await peer.initialize(params: ["providers": ["glm": ["api_key": .string(canaries[2])]]])
    let providers = try #require(initialized["result"]?["capabilities"]?["providers"]?.arrayValue)
    let configured = Dictionary(uniqueKeysWithValues: providers.map { ($0["id"]!.stringValue!, $0["configured"]!) })
    #expect(
      configured == ["mistral": true, "glm": true, "claude": true, "openrouter": false, "huggingface": false, "echo": true])
    #expect(providers.first { $0["id"] == "claude" }?["default_model"] == "claude-file-model")
    try peer.sendLSP(requestBody("providers.list", id: 3))
    _ = try await peer.next()
    try peer.sendLSP(requestBody("no.such.method", id: 4, params: ["api_key": .string(canaries[2])]))
    _ = try await peer.next()
    try peer.sendLSP(requestBody("shutdown", id: 5))
    _ = try await peer.next()
    try peer.sendLSP(notificationBody("exit"))
    #expect(try await peer.waitForExit(timeout: .seconds(5)) == 0)
    try await peer.output.waitUntilClosed()
    let stdout = String(decoding: peer.output.rawOutput, as: UTF8.self)
    let stderr = String(decoding: try await peer.standardErrorToEnd(), as: UTF8.self)
    #expect(!stderr.isEmpty)
    for canary in canaries {
      #expect(!stdout.contains(canary), "stdout leaks \(canary)")
      #expect(!stderr.contains(canary), "stderr leaks \(canary)")
    }
  }

  @Test("a stray write to fd 1 cannot corrupt the protocol stream")
  func strayOutputGoesToStderr() async throws {
    // The engine points fd 1 at stderr at start; the binary's own stdout stays frames only even
    // at the most verbose log level.
    let peer = try ProcessPeer(options: PeerOptions(extraArguments: ["--log-level", "trace"]))
    try await peer.initialize()
    try peer.sendLSP("{not json")
    _ = try await peer.next()
    peer.closeInput()
    _ = try await peer.waitForExit(timeout: .seconds(2))
    try await peer.output.waitUntilClosed()
    #expect(peer.output.frameErrors.isEmpty)
    #expect(peer.output.pendingCount == 0)
    #expect(String(decoding: peer.standardError, as: UTF8.self).contains("Malformed JSON"))
  }
}
