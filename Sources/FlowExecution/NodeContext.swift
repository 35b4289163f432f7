import FlowGraph
import JSON

/// Everything an executor may use to run one node.
public struct NodeContext: Sendable {
  /// The node.
  public var node: FlowNode
  /// Its inputs.
  public var inputs: NodeInputs
  /// The node type's executor version (part of the cache key).
  public var executorVersion: String
  /// What every node of the run shares: one reference per node, not a copy of each part.
  let run: RunContext

  /// The run's id.
  public var runID: String { run.runID }
  /// The flow-level provider id.
  public var flowProviderID: String? { run.flowProviderID }
  /// The run's options.
  public var options: RunOptions { run.options }
  /// Providers, model defaults and clients.
  public var services: ExecutionServices { run.services }
  /// Counts the run's provider calls.
  public var meter: UsageMeter { run.meter }
  /// Sends an event of this node (`retrying`, `delta`) to the run's sink; it follows the node's
  /// `running` and precedes its end.
  public var emit: @Sendable (RunEvent) -> Void { run.emit }

  /// A context.
  public init(
    node: FlowNode, inputs: NodeInputs, runID: String, flowProviderID: String?, options: RunOptions,
    services: ExecutionServices = ExecutionServices(), meter: UsageMeter = UsageMeter(), executorVersion: String = "1",
    emit: @escaping @Sendable (RunEvent) -> Void = { _ in }
  ) {
    let run = RunContext(
      runID: runID, flowProviderID: flowProviderID, options: options, services: services, meter: meter, emit: emit)
    self.init(node: node, inputs: inputs, executorVersion: executorVersion, run: run)
  }

  /// A context for one node of a run whose shared parts are `run`.
  init(node: FlowNode, inputs: NodeInputs, executorVersion: String, run: RunContext) {
    self.node = node
    self.inputs = inputs
    self.executorVersion = executorVersion
    self.run = run
  }

  /// A required string from `data` (validation has already checked it exists).
  public func requiredString(_ field: String) throws(NodeError) -> String {
    guard let value = node.data[field]?.stringValue else {
      throw NodeError(.invalidData, "Node '\(node.id)' (\(node.type)) needs data.\(field).")
    }
    return value
  }
}

/// The parts of a node's context that every node of one run shares.
final class RunContext: Sendable {
  let runID: String
  let flowProviderID: String?
  let options: RunOptions
  let services: ExecutionServices
  let meter: UsageMeter
  let emit: @Sendable (RunEvent) -> Void

  init(
    runID: String, flowProviderID: String?, options: RunOptions, services: ExecutionServices, meter: UsageMeter,
    emit: @escaping @Sendable (RunEvent) -> Void
  ) {
    self.runID = runID
    self.flowProviderID = flowProviderID
    self.options = options
    self.services = services
    self.meter = meter
    self.emit = emit
  }
}
