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

  init(path: String) throws(CommandLineFailure) {
    let bytes = try CommandLineFile.read(path, what: "flow file")
    do {
      (flow, options) = try FlowDocument.decode(bytes, path: "flow")
    } catch let error as JSONParseError {
      throw CommandLineFile.malformed(path, bytes, error)
    } catch let error as ResponseError {
      throw CommandLineFailure("\(path): \(error.message)", error: error)
    } catch {
      throw CommandLineFailure("\(path): \(error).")
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
