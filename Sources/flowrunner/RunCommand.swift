import ArgumentParser
import Dispatch
import FlowExecution
import FlowGraph
import FlowNodes
import FlowRunnerServer
import Foundation
import JSON
import JSONRPC
import Logging
import Signals

/// `flowrunner run FLOW.json`: runs one flow in process; progress on stderr, outputs on stdout.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run one flow file.",
    discussion:
      "Exit codes: 0 completed, 1 the flow failed or is invalid, 2 bad usage or an unreadable or malformed file, 130 cancelled (Ctrl-C). With --json, stdout holds only JSON: the notification stream, or an error object."
  )

  @Argument(help: "The flow file (execution.start params as JSON).")
  var flowPath: String

  @Option(help: "The flow-level provider (overrides the file's provider_id).")
  var provider: String?

  @Option(help: "Run only this node and what is downstream of it (a partial run).")
  var trigger: String?

  @Option(help: "Nodes executing at once, 1 to 10000 (overrides the file's options).")
  var maxConcurrency: Int?

  @Option(
    parsing: .unconditional, help: "Stop the run after this many seconds, 0.001 to 31536000 (overrides the file's options).")
  var timeout: Double?

  @Flag(help: "Print the notification stream as NDJSON on stdout instead of the final outputs.")
  var json = false

  @Option(help: "Write the run's images to this directory (as <sha256>.png|jpg) instead of inlining them.")
  var imagesDir: String?

  @OptionGroup var common: CommonOptions

  /// The flags are checked exactly as the file's `options` are.
  func validate() throws {
    var flags = JSONObject()
    if let maxConcurrency { flags["max_concurrency"] = .int(maxConcurrency) }
    if let timeout { flags["timeout_seconds"] = timeout.isFinite ? .double(timeout) : .null }
    if let timeout, !timeout.isFinite { throw ValidationError("--timeout must be a number of seconds.") }
    do {
      _ = try FlowDocument.options(flags, path: "options")
    } catch {
      let message = error.message.replacingOccurrences(of: "options.max_concurrency", with: "--max-concurrency")
        .replacingOccurrences(of: "options.timeout_seconds", with: "--timeout")
      throw ValidationError(message)
    }
  }

  func run() async throws {
    _ = common.bootstrapLogging(label: "flowrunner.run")
    let settings = try common.loadBaseSettings()
    var file = try FlowFile(path: flowPath)
    if let provider { file.flow.providerID = provider }
    if let trigger { file.flow.triggerNodeID = trigger }
    if let maxConcurrency { file.options.maxConcurrency = maxConcurrency }
    if let timeout { file.options.timeoutSeconds = timeout }
    var images = settings.images.imageSettings
    if let imagesDir {
      file.options.images = .file
      images.artifactsDirectory =
        imagesDir.hasPrefix("/") ? imagesDir : FileManager.default.currentDirectoryPath + "/" + imagesDir
    }
    let validation = file.validate()
    guard validation.isValid else {
      let error = ExecutionStartMethod.invalidFlowError(validation.issues)
      throw CommandLineFailure(
        "The flow is invalid:\n\(describe(validation.issues))", code: CommandLineFailure.flowCode, error: error)
    }
    if !validation.issues.isEmpty {
      FileHandle.standardError.write(Data("\(describe(validation.issues))\n".utf8))
    }
    let jsonWriter = json ? OutputWriter(fd: STDOUT_FILENO, framing: .ndjson, logger: .init(label: "flowrunner.json")) : nil
    let reporter = ProgressReporter(
      nodeTypes: Dictionary(file.flow.nodes.map { ($0.id, $0.type) }, uniquingKeysWith: { first, _ in first }),
      jsonWriter: jsonWriter)
    let kits = NodeKits.standard
    let runs = RunManager(executors: kits.executors, sink: reporter)
    let services = kits.services(
      providers: settings.providers, modelDefaults: settings.modelDefaults, limits: settings.limits.runLimits,
      images: images)
    let prepared = try runs.prepare(validation, options: file.options, services: services)
    let interrupts = InterruptHandler { _ = try? runs.cancel(prepared.runID) }
    runs.start(prepared)
    await runs.waitUntilEnded(prepared.runID)
    interrupts.stop()
    jsonWriter?.flush()
    switch reporter.terminal {
    case .completed(let outputs, _, _)?:
      if !json { printOutputs(outputs, validation: validation) }
    case .failed?:
      throw ExitCode(1)
    default:
      throw ExitCode(130)
    }
  }

  /// Prints the text (or JSON) of the run's final nodes: those nothing else in the run consumes.
  private func printOutputs(_ outputs: [(String, NodeOutput)], validation: FlowValidation) {
    let index = validation.index
    let consumed = Set(index.flow.edges.map(\.source))
    let finals = outputs.filter { !consumed.contains($0.0) }
    for (nodeID, output) in finals {
      if finals.count > 1 { print("# \(nodeID)") }
      if let text = output.text, output.personas == nil, output.image == nil {
        print(text)
      } else if let image = output.image, output.text == nil, output.personas == nil {
        // An image: where it was written, or what it is (--images-dir writes it).
        let described = "\(image.mimeType) \(image.width)x\(image.height), \(image.byteCount) bytes, sha256 \(image.sha256)"
        print(image.path.map { "\($0) (\(described))" } ?? "\(described); --images-dir DIR writes it to a file")
      } else {
        print(NodeOutputWire.encode(output))
      }
    }
  }
}

/// First Ctrl-C cancels the run gracefully; a second one exits at once.
final class InterruptHandler {
  private let source: any DispatchSourceSignal

  init(onInterrupt: @escaping @Sendable () -> Void) {
    signal(SIGINT, SIG_IGN)
    source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    let count = Locked(0)
    source.setEventHandler {
      let presses = count.withLock { value -> Int in
        value += 1
        return value
      }
      if presses == 1 {
        FileHandle.standardError.write(Data("\ninterrupted: cancelling the run (Ctrl-C again to quit now)\n".utf8))
        onInterrupt()
      } else {
        exit(130)
      }
    }
    source.resume()
  }

  func stop() {
    source.cancel()
    signal(SIGINT, SIG_DFL)
  }
}
