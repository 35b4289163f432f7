// libFuzzer target over the params of `execution.start` (and `flow.validate`, and the flow
// file of `flowrunner run`) and of `initialize` (and the config file): decoding and
// validation, fed documents a generator writes from the fuzz bytes. Invariants checked on
// every input:
// - no crash and no hang, whatever the numbers, types and nesting;
// - every refusal is a `-32602` whose message names a field under `params` (an invalid flow:
//   every issue in `data.issues`), and no message holds the configured key;
// - accepted options and settings are inside their documented ranges;
// - a flow is valid exactly when validation reports no error, and every validation result
//   encodes to JSON that parses back.

import FlowExecution
import FlowGraph
import FlowNodes
import FlowRunnerServer
import JSON
import JSONRPC

#if canImport(Glibc)
  import Glibc
#endif

private typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: FuzzCallback
) -> Int32

@main
enum ParamsFuzzer {
  static func main() {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(
      runDriver(&argc, &argv) { data, size in
        guard let data, size > 0 else { return 0 }
        ParamsFuzzer.check(UnsafeBufferPointer(start: data, count: size))
        return 0
      })
  }

  /// With `PARAMS_FUZZ_PRINT` set, every generated document is printed (to see what an input
  /// in the corpus stands for: `flowrunner-params-fuzz -runs=0 FILE`).
  static let printsDocuments = getenv("PARAMS_FUZZ_PRINT") != nil

  static func check(_ bytes: UnsafeBufferPointer<UInt8>) {
    var input = FuzzBytes(bytes)
    let mode = input.byte() % 4
    var generator = ParamsGenerator(input)
    let document = mode == 2 ? generator.initializeParams() : mode == 3 ? Array(bytes.dropFirst()) : generator.flowParams()
    if printsDocuments { print(String(decoding: document, as: UTF8.self)) }
    if mode == 2 { checkSettings(document) } else { checkFlow(document) }
  }

  /// How decoding a flow ended.
  enum Outcome: Equatable {
    case notJSON
    case refused(String)
    case decoded(nodes: [FlowNode], edges: [FlowEdge], options: RunOptions)
  }

  static func checkFlow(_ document: [UInt8]) {
    let decoded: (flow: Flow, options: RunOptions)
    do {
      decoded = try FlowDocument.decode(document, path: "params")
    } catch let error as ResponseError {
      checkRefusal(error)
      checkHandedOver(document, expected: .refused(error.message))
      return
    } catch is JSONParseError {
      checkHandedOver(document, expected: .notJSON)
      return
    } catch {
      preconditionFailure("decoding threw \(type(of: error)), not a ResponseError")
    }
    checkHandedOver(document, expected: .decoded(nodes: decoded.flow.nodes, edges: decoded.flow.edges, options: decoded.options))
    let options = decoded.options
    precondition(RunOptions.maxConcurrencyRange.contains(options.maxConcurrency), "max_concurrency out of range")
    if let timeout = options.timeoutSeconds {
      precondition(RunOptions.timeoutRange.contains(timeout), "timeout_seconds out of range")
    }
    if let runID = options.runID {
      precondition(RunOptions.isValidRunID(runID), "a malformed run_id was accepted")
    }
    let validation = NodeKits.standard.validate(decoded.flow)
    precondition(validation.isValid == validation.errors.isEmpty, "validity disagrees with the issues")
    if let plan = validation.plan {
      precondition(plan.nodes.count <= decoded.flow.nodes.count, "the plan runs more nodes than the flow has")
    } else {
      let refusal = ExecutionStartMethod.invalidFlowError(validation.issues)
      precondition(
        refusal.code == .invalidParams && refusal.data?.objectValue?["issues"] != nil, "an invalid flow without issues")
    }
    let encoded = JSONSerializer.serialize(FlowValidateMethod.encode(validation))
    precondition((try? JSONParser.parse(encoded)) != nil, "a validation result does not parse back")
  }

  /// The same params as a large `execution.start` hands them over (passed over by the
  /// transport, checked by the decoder as it reads them) must end as checking them first does.
  static func checkHandedOver(_ document: [UInt8], expected: Outcome) {
    let envelope = Array(#"{"jsonrpc":"2.0","id":1,"method":"execution.start","params":"#.utf8)
    let body = envelope + document + [UInt8(ascii: "}")]
    let outcome: Outcome
    do {
      guard case .message(.request(let request)) = try DecodedBody(body, checkedByHandler: ["execution.start"]),
        case .raw(let raw)? = request.rawParams, raw.range == envelope.count..<(envelope.count + document.count)
      else {
        // Once wrapped, not a request whose params are the whole document (`{}, "x":1`):
        // nothing to compare.
        return
      }
      let (flow, options) = try FlowDocument.decode(params: raw)
      outcome = .decoded(nodes: flow.nodes, edges: flow.edges, options: options)
    } catch let error as ResponseError {
      outcome = error.code == .parseError ? .notJSON : .refused(error.message)
    } catch {
      outcome = .notJSON
    }
    precondition(outcome == expected, "handed over unchecked: \(outcome), checked first: \(expected)")
  }

  static func checkSettings(_ document: [UInt8]) {
    guard let value = try? JSONParser.parse(document) else { return }
    do {
      let reader = try ParamsReader(value, positionalNames: ["client_info", "providers", "model_defaults", "cache", "limits"])
      _ = try EngineSettings(reading: reader)
    } catch {
      checkRefusal(error)
    }
  }

  static func checkRefusal(_ error: ResponseError) {
    precondition(error.code == .invalidParams, "a refusal with code \(error.code.rawValue): \(error.message)")
    precondition(error.message.contains("params"), "a refusal that names no field: \(error.message)")
    let encoded = String(decoding: JSONSerializer.serialize(error.json), as: UTF8.self)
    precondition(!encoded.contains(ParamsGenerator.canaryKey), "a refusal holds the key: \(encoded)")
  }
}
