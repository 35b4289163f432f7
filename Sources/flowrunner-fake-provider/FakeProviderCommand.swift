import ArgumentParser
import FakeProvider
import Foundation

/// `flowrunner-fake-provider`: a fake of the providers' APIs on 127.0.0.1, for trying the
/// engine's retries, cancels and failures without the real APIs.
@main
struct FakeProviderCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "flowrunner-fake-provider",
    abstract: "Serve a fake of the providers' APIs (Mistral, GLM, OpenRouter, Hugging Face, Anthropic) on 127.0.0.1.",
    discussion: """
      Prints the environment that points flowrunner at it (the keys can be anything), then serves until interrupted. Each request gets a short reply in its provider's real format, streamed or not. Markers anywhere in a request (in a node's data.model, with data.providerId naming the provider) change the answer:

        fake-latency-ms=N      reply after N ms
        fake-chunk-ms=N        wait N ms between streamed chunks
        fake-status=NNN        that HTTP status with the provider's real error body
        fake-retry-after=S     with fake-status: a Retry-After header of S seconds
        fake-stall             nothing more after the head, until the client gives up
        fake-reset             the connection closed without an answer
        fake-malformed         HTTP 200 with a body that is not the provider's JSON
        fake-truncated         a stream that stops without its end marker
        fake-midstream-error   a stream that turns into the provider's in-stream error
        fake-no-usage          answers without token usage
        fake-whole-body        one JSON body even to a streamed request
        fake-sse-body          an event stream even to a plain request

      Image generation (Hugging Face text-to-image, GLM CogView) answers a small PNG drawn from the prompt; in the prompt:

        fake-image-json        Hugging Face: {"data":[{"b64_json"}]}
        fake-image-url         Hugging Face: {"images":[{"url"}]}, fetched from this server
        fake-image-truncated   the PNG cut in half
        fake-image-huge        a PNG whose header says 40000x40000
        fake-image-404         a URL that answers 404
        fake-image-text        HTTP 200 with an HTML page
      """)

  @Option(help: "The port to listen on (0: a free port).")
  var port: Int = 0

  @Option(help: "Delay before every answer, in milliseconds.")
  var latencyMs: Int = 0

  @Option(help: "Delay between streamed chunks, in milliseconds.")
  var chunkMs: Int = 0

  func validate() throws {
    guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535.") }
    guard latencyMs >= 0, chunkMs >= 0 else { throw ValidationError("--latency-ms and --chunk-ms must not be negative.") }
  }

  func run() async throws {
    let server = try await FakeProviderServer.start(
      port: port, defaults: .init(latencyMilliseconds: latencyMs, chunkDelayMilliseconds: chunkMs))
    let variables = [
      ("MISTRAL", "mistral", "MISTRAL_API_KEY"), ("GLM", "glm", "GLM_API_KEY"),
      ("OPENROUTER", "openrouter", "OPENROUTER_API_KEY"), ("HF", "huggingface", "HF_TOKEN"),
      ("ANTHROPIC", "claude", "ANTHROPIC_API_KEY"),
    ]
    var lines = ""
    for (prefix, provider, key) in variables {
      lines += "export \(key)=fake \(prefix)_BASE_URL=\(server.baseURL(for: provider))\n"
    }
    FileHandle.standardOutput.write(Data(lines.utf8))
    while true { try await Task.sleep(for: .seconds(3600)) }
  }
}
