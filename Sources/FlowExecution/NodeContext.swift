import FlowGraph
import JSONRPC

/// What a node receives from its upstream nodes, gathered in edge order.
public struct NodeInputs: Sendable {
  /// Texts of text-edge sources, in edge order (sources without text are left out).
  public var texts: [String] = []
  /// Personas of adapter-edge sources, in edge order.
  public var personas: [JSONObject] = []
  /// Images of image-edge sources, in edge order.
  public var images: [ImageData] = []

  /// Empty inputs.
  public init() {}

  /// `merge_input_text`: the texts, empty ones dropped, joined with a blank line.
  public var mergedText: String {
    switch texts.count {
    case 0: return ""
    case 1: return texts[0]
    default: return texts.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }
  }
}

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
  /// Sends an event of this node (`retrying`, `delta`) to the run's sink; it follows the node's
  /// `running` and precedes its end.
  public var emit: @Sendable (RunEvent) -> Void

  /// A context.
  public init(
    node: FlowNode, inputs: NodeInputs, runID: String, flowProviderID: String?, options: RunOptions,
    services: ExecutionServices = ExecutionServices(), meter: UsageMeter = UsageMeter(),
    emit: @escaping @Sendable (RunEvent) -> Void = { _ in }
  ) {
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

/// Runs one node: a plain async function. It throws ``NodeError`` for failures and
/// `CancellationError` when the run is cancelled.
public typealias NodeExecutor = @Sendable (NodeContext) async throws -> NodeOutput

/// Runs one node synchronously: for nodes that compute their output from data and inputs
/// alone. The runner calls these inline, without a Task of their own.
public typealias InlineNodeExecutor = @Sendable (NodeContext) throws -> NodeOutput

/// How a node type is executed.
public enum NodeExecution: Sendable {
  /// Synchronously, on the runner's own task: cheap, never suspends.
  case inline(InlineNodeExecutor)
  /// In a child Task of the run, which cancellation reaches.
  case async(NodeExecutor)
  /// Inline when the inline executor can answer (it returns an output), otherwise in a child
  /// Task: for nodes that call a provider only in some cases.
  case inlineOrAsync(inline: @Sendable (NodeContext) throws -> NodeOutput?, async: NodeExecutor)
}

/// Executors by node type.
public struct ExecutorRegistry: Sendable {
  var executions: [String: NodeExecution]

  /// A registry with these executions.
  public init(_ executions: [String: NodeExecution] = [:]) {
    self.executions = executions
  }

  /// How a type is executed, or `nil` when no executor is registered.
  public func execution(for type: String) -> NodeExecution? { executions[type] }

  /// Sets (or, with `nil`, removes) an asynchronous executor.
  public subscript(type: String) -> NodeExecutor? {
    get {
      switch executions[type] {
      case .async(let executor)?: executor
      case .inline(let executor)?: { context in try executor(context) }
      case .inlineOrAsync(let inline, let executor)?:
        { context in
          if let output = try inline(context) { return output }
          return try await executor(context)
        }
      case nil: nil
      }
    }
    set { executions[type] = newValue.map(NodeExecution.async) }
  }

  /// Sets an inline executor.
  public mutating func setInline(_ type: String, _ executor: @escaping InlineNodeExecutor) {
    executions[type] = .inline(executor)
  }

  /// The types that have an executor.
  public var types: Set<String> { Set(executions.keys) }

  /// The executors of the data nodes, which never call a provider.
  public static let dataNodes = ExecutorRegistry(DataNodeExecutors.all.mapValues(NodeExecution.inline))

  /// Every node type the engine can run: data nodes inline, text nodes through providers.
  /// `initialPrompt` runs inline when no personas reach it and through a provider when they do.
  public static let standard: ExecutorRegistry = {
    var registry = ExecutorRegistry(TextNodeExecutors.all.mapValues(NodeExecution.async))
    for (type, executor) in DataNodeExecutors.all where type != "initialPrompt" {
      registry.setInline(type, executor)
    }
    registry.executions["initialPrompt"] = .inlineOrAsync(
      inline: { context in context.inputs.personas.isEmpty ? try DataNodeExecutors.initialPrompt(context) : nil },
      async: TextNodeExecutors.all["initialPrompt"]!)
    return registry
  }()
}
