import FlowGraph
import JSON

/// Everything an executor may use to run one node.
public struct NodeContext: Sendable {
  /// The node.
  public var node: FlowNode
  /// Its inputs.
  public var inputs: NodeInputs
  /// The run's id.
  public var runID: String
  /// The flow-level provider id.
  public var flowProviderID: String?
  /// The run's options.
  public var options: RunOptions
  /// Providers, model defaults and clients.
  public var services: ExecutionServices
  /// Counts the run's provider calls.
  public var meter: UsageMeter
  /// The node type's executor version (part of the cache key).
  public var executorVersion: String
  /// Sends an event of this node (`retrying`, `delta`) to the run's sink; it follows the node's
  /// `running` and precedes its end.
  public var emit: @Sendable (RunEvent) -> Void

  /// A context.
  public init(
    node: FlowNode, inputs: NodeInputs, runID: String, flowProviderID: String?, options: RunOptions,
    services: ExecutionServices = ExecutionServices(), meter: UsageMeter = UsageMeter(), executorVersion: String = "1",
    emit: @escaping @Sendable (RunEvent) -> Void = { _ in }
  ) {
    self.executorVersion = executorVersion
    self.emit = emit
    self.node = node
    self.inputs = inputs
    self.runID = runID
    self.flowProviderID = flowProviderID
    self.options = options
    self.services = services
    self.meter = meter
  }

  /// A required string from `data` (validation has already checked it exists).
  public func requiredString(_ field: String) throws(NodeError) -> String {
    guard let value = node.data[field]?.stringValue else {
      throw NodeError(.invalidData, "Node '\(node.id)' (\(node.type)) needs data.\(field).")
    }
    return value
  }
}
