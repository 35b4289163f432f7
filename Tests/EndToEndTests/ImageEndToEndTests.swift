import FakeProvider
import FlowImages
import FlowRunnerTestSupport
import Foundation
import JSON
import JSONRPC
import Testing

/// The image nodes through the built binary against the fake provider: generation on FLUX and
/// CogView, vision calls on every provider, delivery inline and as files, and every way an
/// image can be bad.
@Suite("Images, against the built binary and the fake provider")
struct ImageEndToEndTests {
  static let visionProviders = ["mistral", "glm", "openrouter", "huggingface", "claude"]

  /// An engine whose `providers` all point at the fake server, with `settings` for `initialize`.
  static func engine(_ server: FakeProviderServer, providers: [String], settings: JSONObject = [:]) async throws
    -> ProcessPeer
  {
    var environment: [String: String] = [:]
    for provider in providers { environment.merge(providerEnvironment(provider, server: server, key: "sk-img")) { $1 } }
    let peer = try ProcessPeer(options: PeerOptions(environment: environment))
    try await peer.initialize(params: .object(settings))
    return peer
  }

  static func run(_ peer: ProcessPeer, _ flow: JSONValue, id: Int) async throws -> [JSONValue] {
    guard case .object(var object) = flow else { return [] }
    object["run_id"] = .string("img-\(id)")
    _ = try await JournalEndToEndTests.answer(peer, "execution.start", id: id, params: .object(object))
    let (log, _) = try await peer.collectRun("img-\(id)")
    try EventLogChecker(flow: flow).check(log)
    return log
  }

  static func completion(_ log: [JSONValue], _ nodeID: String) -> JSONValue? {
    log.first { $0["method"] == "execution.node.completed" && $0["params"]?["node_id"] == .string(nodeID) }?["params"]
  }

  static func failure(_ log: [JSONValue], _ nodeID: String) -> JSONValue? {
    log.first { $0["method"] == "execution.node.failed" && $0["params"]?["node_id"] == .string(nodeID) }?["params"]?[
      "error"]
  }

  /// prompt → imageGenerator on `provider`.
  static func generateFlow(
    provider: String, prompt: String = "a lighthouse at dusk", data: JSONObject = [:], options: JSONValue? = nil
  ) -> JSONValue {
    var generatorData = data
    generatorData["providerId"] = .string(provider)
    var flow: JSONObject = [
      "flow_id": "generate",
      "nodes": [
        ["id": "p", "type": "initialPrompt", "data": ["text": .string(prompt)]],
        ["id": "g", "type": "imageGenerator", "data": .object(generatorData)],
      ],
      "edges": [["source": "p", "target": "g"]],
    ]
    if let options { flow["options"] = options }
    return .object(flow)
  }

  /// imageDescriber on `provider` with `image` as `data.image`.
  static func describeFlow(provider: String, image: JSONValue, notes: String = "the light") -> JSONValue {
    [
      "flow_id": "describe",
      "nodes": [
        [
          "id": "d", "type": "imageDescriber",
          "data": ["providerId": .string(provider), "image": image, "notes": .string(notes)],
        ]
      ],
      "edges": [],
    ]
  }

  static func dataURL(_ bytes: [UInt8], type: String = "image/png") -> JSONValue {
    .string("data:\(type);base64,\(Data(bytes).base64EncodedString())")
  }

  /// Checks an output `Image` and returns its bytes.
  static func imageBytes(_ image: JSONValue?) throws -> [UInt8] {
    let image = try #require(image)
    let encoded = try #require(image["base64"]?.stringValue)
    let bytes = [UInt8](try #require(Data(base64Encoded: encoded)))
    #expect(image["bytes"] == .int(bytes.count))
    #expect(image["sha256"] == .string(EncodedImage.sha256(bytes)))
    let header = try ImageHeader.read(bytes)
    #expect(image["width"] == .int(header.width) && image["height"] == .int(header.height))
    #expect(image["mime_type"] == .string(header.format.mimeType))
    return bytes
  }

  @Test("imageGenerator on Hugging Face FLUX: raw bytes, JSON base64 and JSON URL all give the image")
  func fluxVariants() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, providers: ["huggingface"])
    for (index, marker) in ["", " fake-image-json", " fake-image-url"].enumerated() {
      let log = try await Self.run(
        peer,
        Self.generateFlow(
          provider: "huggingface", prompt: "a lighthouse\(marker)",
          data: ["width": 1024, "height": 512, "seed": 42, "negativePrompt": "fog"]),
        id: index + 1)
      let output = Self.completion(log, "g")?["output"]
      let bytes = try Self.imageBytes(output?["image"])
      let expected = try EchoPicture.png(prompt: "fake a lighthouse\(marker)", width: 1024, height: 512)
      #expect(bytes == expected.bytes)
      #expect(output?["model"]?["model"] == "black-forest-labs/FLUX.1-schnell")
    }
    let request = try #require(server.requests.first)
    #expect(request.path == "/huggingface/hf-inference/models/black-forest-labs/FLUX.1-schnell")
    let body = try JSONParser.parse(request.body)
    #expect(body["inputs"] == "a lighthouse")
    #expect(body["parameters"] == ["width": 1024, "height": 512, "seed": 42, "negative_prompt": "fog"])
    #expect(request.header("authorization") == "Bearer sk-img")
    await peer.finish()
    await server.stop()
  }

  @Test("imageGenerator on GLM CogView: the temporary URL is fetched at once, without the key; sizes are checked first")
  func cogView() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, providers: ["glm"])
    let log = try await Self.run(
      peer, Self.generateFlow(provider: "glm", data: ["width": 768, "height": 1024]), id: 1)
    let bytes = try Self.imageBytes(Self.completion(log, "g")?["output"]?["image"])
    #expect(bytes == (try EchoPicture.png(prompt: "fake a lighthouse at dusk", width: 768, height: 1024)).bytes)
    let request = try #require(server.requests.first)
    #expect(request.path == "/glm/v1/images/generations")
    #expect(try JSONParser.parse(request.body) == ["model": "cogview-4", "prompt": "a lighthouse at dusk", "size": "768x1024"])
    // A size CogView refuses fails the node before any request.
    let refused = try await Self.run(peer, Self.generateFlow(provider: "glm", data: ["width": 500, "height": 1024]), id: 2)
    let error = Self.failure(refused, "g")
    #expect(error?["code"] == "invalid_data")
    #expect(error?["message"]?.stringValue?.contains("divisible by 16") == true)
    #expect(server.requests.count == 1)
    await peer.finish()
    await server.stop()
  }

  @Test("a provider that cannot generate images is refused with the ones that can")
  func notAnImageProvider() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, providers: ["mistral"])
    let log = try await Self.run(peer, Self.generateFlow(provider: "mistral"), id: 1)
    let error = Self.failure(log, "g")
    #expect(error?["code"] == "provider_not_configured")
    #expect(error?["message"]?.stringValue?.contains("glm or huggingface") == true)
    #expect(server.requests.isEmpty)
    await peer.finish()
    await server.stop()
  }

  @Test("bad generated images: truncated, a decompression bomb, a URL that 404s, HTML instead of an image")
  func badGeneratedImages() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, providers: ["huggingface"])
    let cases = [
      (" fake-image-truncated", "damaged"), (" fake-image-huge", "40000x40000"), (" fake-image-404", "HTTP 404"),
      (" fake-image-text", "neither an image nor JSON"),
    ]
    for (index, (marker, expected)) in cases.enumerated() {
      let log = try await Self.run(peer, Self.generateFlow(provider: "huggingface", prompt: "x\(marker)"), id: index + 1)
      let error = Self.failure(log, "g")
      #expect(error?["code"] == "provider_bad_response", "\(marker): \(String(describing: error))")
      #expect(error?["message"]?.stringValue?.contains(expected) == true, "\(marker): \(String(describing: error))")
    }
    // Provider errors on the image endpoint: the real error body, no retry for 400, retries for 503.
    let before = server.requests.count
    let rejected = try await Self.run(peer, Self.generateFlow(provider: "huggingface", prompt: "x fake-status=400"), id: 5)
    #expect(Self.failure(rejected, "g")?["code"] == "provider_http_error")
    #expect(Self.failure(rejected, "g")?["http_status"] == 400)
    #expect(server.requests.count == before + 1)
    let unavailable = try await Self.run(
      peer, Self.generateFlow(provider: "huggingface", prompt: "x fake-status=503 fake-retry-after=0"), id: 6)
    #expect(Self.failure(unavailable, "g")?["http_status"] == 503)
    #expect(unavailable.filter { $0["params"]?["status"] == "retrying" }.count == 3)
    #expect(server.requests.count == before + 5)
    // Still serving.
    let ok = try await Self.run(peer, Self.generateFlow(provider: "huggingface", prompt: "fine"), id: 9)
    #expect(ok.last?["method"] == "execution.completed")
    await peer.finish()
    await server.stop()
  }

  @Test("imageDescriber on every vision provider: the image goes as content parts or an Anthropic image block")
  func visionEverywhere() async throws {
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, providers: Self.visionProviders)
    let picture = try EchoPicture.png(prompt: "vision", width: 90, height: 60)
    for (index, provider) in Self.visionProviders.enumerated() {
      let log = try await Self.run(
        peer, Self.describeFlow(provider: provider, image: Self.dataURL(picture.bytes)), id: index + 1)
      let output = Self.completion(log, "d")?["output"]
      #expect(output?["text"] == .string("This is a fake reply from \(provider)."))
      let request = try #require(server.requests.last)
      #expect(request.provider == provider)
      let body = try JSONParser.parse(request.body)
      let user = try #require(body["messages"]?.arrayValue?.last)
      let parts = try #require(user["content"]?.arrayValue, "\(provider): content is not parts")
      if provider == "claude" {
        #expect(parts.first?["type"] == "image" && parts.first?["source"]?["type"] == "base64")
        #expect(parts.first?["source"]?["media_type"] == "image/jpeg")
        #expect(parts.last?["type"] == "text")
        #expect(body["system"]?.stringValue?.contains("describe images") == true)
      } else {
        #expect(parts.first?["type"] == "text")
        #expect(parts.first?["text"]?.stringValue?.contains("Notes: the light") == true)
        let url = parts.last?["image_url"]?["url"]?.stringValue ?? ""
        #expect(url.hasPrefix("data:image/jpeg;base64,"))
        let sent = [UInt8](Data(base64Encoded: String(url.dropFirst("data:image/jpeg;base64,".count))) ?? Data())
        #expect(try ImageHeader.read(sent).width == picture.width)
      }
      let expectedModel: JSONValue =
        switch provider {
        case "mistral": "pixtral-12b-latest"
        case "glm": "glm-4v-flash"
        case "huggingface": "meta-llama/Llama-3.2-11B-Vision-Instruct"
        case "claude": "claude-haiku-4-5"
        default: "openai/gpt-4o-mini"
        }
      #expect(body["model"] == expectedModel)
    }
    // A GIF where the provider takes only JPEG and PNG (glm): refused, with what to do.
    let gif = Array("GIF89a".utf8) + [8, 0, 8, 0] + Array(repeating: 0, count: 20)
    let refused = try await Self.run(
      peer, Self.describeFlow(provider: "glm", image: Self.dataURL(gif, type: "image/gif")), id: 50)
    #expect(Self.failure(refused, "d")?["code"] == "image_error")
    #expect(Self.failure(refused, "d")?["message"]?.stringValue?.contains("convert the image to PNG or JPEG") == true)
    await peer.finish()
    await server.stop()
  }

  @Test("generate → describe → replace personas, chained on image edges, with files delivered to artifacts_dir")
  func chainWithFiles() async throws {
    let directory = try JournalEndToEndTests.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(
      server, providers: ["huggingface", "claude"], settings: ["artifacts_dir": .string(directory.path)])
    let flow: JSONValue = [
      "flow_id": "chain", "options": ["images": "file"],
      "nodes": [
        ["id": "p", "type": "initialPrompt", "data": ["text": "a harbour at night"]],
        ["id": "g", "type": "imageGenerator", "data": ["providerId": "huggingface"]],
        ["id": "d", "type": "imageDescriber", "data": ["providerId": "claude"]],
        ["id": "c", "type": "consistentCharacter", "data": ["name": "Ada", "description": "an engineer"]],
        ["id": "r", "type": "personasReplacer", "data": ["providerId": "claude"]],
      ],
      "edges": [
        ["source": "p", "target": "g"], ["source": "g", "target": "d", "targetHandle": "image"],
        ["source": "d", "target": "r"], ["source": "c", "target": "r", "targetHandle": "adapter"],
      ],
    ]
    let log = try await Self.run(peer, flow, id: 1)
    #expect(log.last?["method"] == "execution.completed")
    let image = try #require(Self.completion(log, "g")?["output"]?["image"])
    #expect(image["base64"] == nil)
    let path = try #require(image["path"]?.stringValue)
    #expect(path == directory.path + "/" + (image["sha256"]?.stringValue ?? "") + ".png")
    let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(EncodedImage.sha256(written) == image["sha256"]?.stringValue)
    #expect(Self.completion(log, "r")?["output"]?["text"] == "This is a fake reply from claude.")
    // The describer got the generated image (as JPEG, the PNG having no transparency).
    let vision = try #require(server.requests.first { $0.provider == "claude" && $0.body.count > 1000 })
    let blocks = try JSONParser.parse(vision.body)["messages"]?.arrayValue?.last?["content"]?.arrayValue
    #expect(blocks?.first?["type"] == "image")
    // The same image again: the file is written once.
    _ = try await Self.run(peer, flow, id: 2)
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    #expect(files.filter { $0.hasSuffix(".png") }.count == 1, "\(files)")
    await peer.finish()
    await server.stop()
  }

  @Test("data.image: an absolute path, an Image object; bad images fail with image_error and a sentence")
  func inputForms() async throws {
    let directory = try JournalEndToEndTests.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, providers: ["mistral"])
    let picture = try EchoPicture.png(prompt: "input", width: 40, height: 40)
    let file = directory.appendingPathComponent("input.png")
    try Data(picture.bytes).write(to: file)
    let good: [JSONValue] = [
      .string(file.path), ["mime_type": "image/png", "base64": .string(Data(picture.bytes).base64EncodedString())],
      ["path": .string(file.path)],
    ]
    for (index, image) in good.enumerated() {
      let log = try await Self.run(peer, Self.describeFlow(provider: "mistral", image: image), id: index + 1)
      #expect(log.last?["method"] == "execution.completed", "\(image)")
    }
    let bad: [(JSONValue, String)] = [
      (Self.dataURL(Array("definitely not an image".utf8)), "not a JPEG, PNG, GIF or WebP"),
      (Self.dataURL(Array(picture.bytes.prefix(60))), "cannot"),
      (Self.dataURL(FakeImages.hugeHeader(picture.bytes)), "40000x40000"),
      (.string(directory.appendingPathComponent("missing.png").path), "cannot be read"),
      ("data:image/png,rawbytes", "not base64"),
      (
        Self.dataURL(Array("GIF89a".utf8) + [1, 0, 1, 0] + Array(repeating: 0, count: 20), type: "image/gif"),
        "passed"
      ),
    ]
    for (index, (image, expected)) in bad.enumerated() {
      let log = try await Self.run(peer, Self.describeFlow(provider: "mistral", image: image), id: 10 + index)
      if expected == "passed" {
        // Mistral takes GIFs as they are.
        #expect(log.last?["method"] == "execution.completed")
        continue
      }
      let error = Self.failure(log, "d")
      #expect(error?["code"] == "image_error", "\(expected): \(String(describing: error))")
      #expect(error?["message"]?.stringValue?.contains(expected) == true, "\(expected): \(String(describing: error))")
    }
    await peer.finish()
    await server.stop()
  }

  @Test("client image URLs: private addresses refused unless allowed; downloads checked; a cancel ends a stuck download at once")
  func downloads() async throws {
    let server = try await FakeProviderServer.start()
    // A generated image on the fake (loopback) to link to.
    let peer = try await Self.engine(server, providers: ["huggingface", "mistral"])
    _ = try await Self.run(peer, Self.generateFlow(provider: "huggingface", prompt: "linked fake-image-url"), id: 1)
    // Where the fake keeps that image (FakeImages names files by the prompt's digest).
    let link =
      "http://127.0.0.1:\(server.port)/files/huggingface-\(EncodedImage.sha256(Array("linked fake-image-url".utf8)).prefix(16)).png"
    let refused = try await Self.run(peer, Self.describeFlow(provider: "mistral", image: .string(link)), id: 2)
    #expect(Self.failure(refused, "d")?["code"] == "image_error")
    #expect(Self.failure(refused, "d")?["message"]?.stringValue?.contains("images.allow_private_networks") == true)
    await peer.finish()

    let allowing = try await Self.engine(
      server, providers: ["mistral"], settings: ["images": ["allow_private_networks": true]])
    let fetched = try await Self.run(allowing, Self.describeFlow(provider: "mistral", image: .string(link)), id: 1)
    #expect(fetched.last?["method"] == "execution.completed")
    let missing = try await Self.run(
      allowing, Self.describeFlow(provider: "mistral", image: .string("http://127.0.0.1:\(server.port)/files/nothing.png")),
      id: 2)
    #expect(Self.failure(missing, "d")?["message"]?.stringValue?.contains("HTTP 404") == true)

    // A server that accepts the connection and never answers: cancelling the run ends it at once.
    let silent = try SilentListener()
    guard
      case .object(var stuck) = Self.describeFlow(provider: "mistral", image: .string("http://127.0.0.1:\(silent.port)/a.png"))
    else { return }
    stuck["run_id"] = "stuck"
    _ = try await JournalEndToEndTests.answer(allowing, "execution.start", id: 3, params: .object(stuck))
    var message = try await allowing.next(timeout: .seconds(5))
    while !(message["method"] == "execution.node.status" && message["params"]?["status"] == "running") {
      message = try await allowing.next(timeout: .seconds(5))
    }
    // The download has connected (and waits for an answer that never comes).
    #expect(await silent.connectionPending(timeout: .seconds(5)))
    let begin = ContinuousClock.now
    try allowing.sendLSP(requestBody("execution.cancel", id: 4, params: ["run_id": "stuck"]))
    let (log, _) = try await allowing.collectRun("stuck", timeout: .seconds(5))
    #expect(log.last?["method"] == "execution.cancelled")
    // Far below what the wait would last (a minute, or forever), with room for a loaded machine.
    #expect(ContinuousClock.now - begin < .seconds(10))
    await allowing.finish()
    silent.close()
    await server.stop()
  }

  @Test("a generated image is cached: the same node again is a hit, also on a new engine over the cache file")
  func cachedImages() async throws {
    let directory = try JournalEndToEndTests.directory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let settings: JSONObject = ["cache": ["path": .string(directory.appendingPathComponent("cache.sqlite").path)]]
    let server = try await FakeProviderServer.start()
    let peer = try await Self.engine(server, providers: ["huggingface"], settings: settings)
    let flow = Self.generateFlow(provider: "huggingface", prompt: "a cached harbour", data: ["seed": 3])
    let first = try await Self.run(peer, flow, id: 1)
    let second = try await Self.run(peer, flow, id: 2)
    #expect(server.requests.count == 1)
    let hit = try #require(Self.completion(second, "g"))
    #expect(hit["cached"] == true && hit["cache_key"]?.stringValue?.count == 64)
    #expect(hit["output"]?["image"] == Self.completion(first, "g")?["output"]?["image"])
    // Another seed is another key.
    _ = try await Self.run(peer, Self.generateFlow(provider: "huggingface", prompt: "a cached harbour", data: ["seed": 4]), id: 3)
    #expect(server.requests.count == 2)
    await peer.finish()
    let restarted = try await Self.engine(server, providers: ["huggingface"], settings: settings)
    let third = try await Self.run(restarted, flow, id: 1)
    #expect(Self.completion(third, "g")?["cached"] == true)
    #expect(Self.completion(third, "g")?["output"]?["image"] == Self.completion(first, "g")?["output"]?["image"])
    #expect(server.requests.count == 2)
    // Identical generations in flight at once share one request.
    let requests = server.requests.count
    var nodes: [JSONValue] = []
    var edges: [JSONValue] = []
    for index in 0..<4 {
      nodes.append(["id": .string("p\(index)"), "type": "initialPrompt", "data": ["text": "together fake-latency-ms=300"]])
      nodes.append(["id": .string("g\(index)"), "type": "imageGenerator", "data": ["providerId": "huggingface"]])
      edges.append(["source": .string("p\(index)"), "target": .string("g\(index)")])
    }
    let together = try await Self.run(
      restarted, ["flow_id": "together", "nodes": .array(nodes), "edges": .array(edges)], id: 2)
    #expect(server.requests.count == requests + 1)
    let completions = (0..<4).compactMap { Self.completion(together, "g\($0)") }
    #expect(completions.filter { $0["cached"] == true }.count == 3)
    #expect(Set(completions.compactMap { $0["output"]?["image"]?["sha256"]?.stringValue }).count == 1)
    await restarted.finish()
    await server.stop()
  }

  @Test("a dry run on echo: pictures from the prompt, descriptions from the pixels, no network")
  func echoDryRun() async throws {
    let peer = try ProcessPeer()
    try await peer.initialize()
    let flow = try FixtureFiles.json("flows/generate-describe.json")
    let first = try await Self.run(peer, flow, id: 1)
    let second = try await Self.run(peer, flow, id: 2)
    let image = Self.completion(first, "render")?["output"]?["image"]
    #expect(image == Self.completion(second, "render")?["output"]?["image"])
    let bytes = try Self.imageBytes(image)
    #expect(bytes == (try EchoPicture.png(prompt: "a lighthouse on a basalt cliff at dusk")).bytes)
    let description = Self.completion(first, "look")?["output"]?["text"]?.stringValue ?? ""
    #expect(description.hasPrefix("[echo] Describe this image.") && description.contains("[image: image/jpeg 64x64"))
    await peer.finish()
  }
}

/// A loopback TCP listener that never accepts: connections complete in the kernel's backlog and
/// requests go unanswered.
final class SilentListener: Sendable {
  let port: Int
  private let fd: Int32

  init() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard bound else { throw PeerError.setup("cannot listen") }
    self.fd = fd
    port = Int(UInt16(bigEndian: address.sin_port))
  }

  /// Whether a connection arrives (completed, not accepted: the listener stays silent) within
  /// `timeout`; waits on a thread of its own, not on the test's executor.
  func connectionPending(timeout: Duration) async -> Bool {
    let fd = fd
    let milliseconds = Int32(timeout.components.seconds * 1000)
    return await withCheckedContinuation { continuation in
      DispatchQueue.global().async {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        continuation.resume(returning: poll(&entry, 1, milliseconds) == 1)
      }
    }
  }

  func close() { _ = Glibc.close(fd) }
}
