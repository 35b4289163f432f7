import ArgumentParser
import FlowExecution
import FlowGraph
import FlowNodes
import FlowRunnerServer
import Foundation
import JSON
import JSONRPC

/// A flow file: the `execution.start` params as JSON (`nodes`, `edges`, and optionally
/// `flow_id`, `provider_id`, `trigger_node_id`, `cached_outputs`, `options`).
struct FlowFile {
  var flow: Flow
  var options: RunOptions

  init(path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ValidationError("Cannot read the flow file \(path).")
    }
    do {
      (flow, options) = try FlowDocument.decode([UInt8](data), path: "flow")
    } catch let error as JSONParseError {
      throw ValidationError("\(path) is not valid JSON: \(error).")
    } catch let error as ResponseError {
      throw ValidationError("\(path): \(error.message)")
    }
    if flow.flowID.isEmpty {
      flow.flowID = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }
  }

  /// Validates the flow.
  func validate() -> FlowValidation {
    NodeKits.standard.validate(flow)
  }
}

/// Writes validation issues one per line.
func describe(_ issues: [ValidationIssue]) -> String {
  issues.map { issue in
    let subject = [issue.nodeID.map { "node \($0)" }, issue.edgeID.map { "edge \($0)" }].compactMap { $0 }
    let location = subject.isEmpty ? "" : " [\(subject.joined(separator: ", "))]"
    return "\(issue.severity.rawValue): \(issue.code.rawValue)\(location): \(issue.message)"
  }.joined(separator: "\n")
}
