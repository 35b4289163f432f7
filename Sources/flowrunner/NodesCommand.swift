import ArgumentParser
import FlowGraph
import FlowNodes
import FlowRunnerServer
import JSON
import JSONRPC

/// `flowrunner nodes`: the node type catalogue.
struct NodesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "nodes", abstract: "List the node types and their data fields.")

  @Flag(help: "Print the nodes.list result as JSON.")
  var json = false

  func run() {
    if json {
      print(NodesListMethod.encode(NodeKits.standard.catalog))
      return
    }
    for descriptor in NodeKits.standard.catalog.descriptors {
      let inputs = descriptor.inputs.map { input in
        descriptor.requiredInputs.contains(input) ? "\(input.rawValue)*" : input.rawValue
      }
      print(
        "\(descriptor.type)  [\(descriptor.category.rawValue)\(descriptor.callsProvider ? ", calls a provider" : "")]"
          + "  inputs: \(inputs.isEmpty ? "none" : inputs.joined(separator: ", "))"
          + "  output: \(descriptor.output.map(\.rawValue).joined(separator: ", "))")
      for field in descriptor.dataFields {
        var line = "    \(field.name)\(field.required ? "*" : ""): \(field.type.rawValue) — \(field.description)"
        if let values = field.values { line += " (\(values.joined(separator: ", ")))" }
        print(line)
      }
    }
  }
}
