import FakeProvider
import Foundation

// Starts the fake provider server on a free port of 127.0.0.1, prints the base URLs to set
// (`MISTRAL_BASE_URL=…` and so on) and serves until interrupted.
let server = try await FakeProviderServer.start()
let variables = [
  ("MISTRAL_BASE_URL", "mistral"), ("GLM_BASE_URL", "glm"), ("OPENROUTER_BASE_URL", "openrouter"),
  ("HF_BASE_URL", "huggingface"), ("ANTHROPIC_BASE_URL", "claude"),
]
let lines = variables.map { variable, provider in "\(variable)=\(server.baseURL(for: provider))\n" }.joined()
FileHandle.standardOutput.write(Data(lines.utf8))
while true { try await Task.sleep(for: .seconds(3600)) }
