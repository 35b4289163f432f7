import FlowGraph

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
  /// Each type's executor version (part of the cache key); "1" when not given.
  var versions: [String: String]

  /// A registry with these executions and executor versions.
  public init(_ executions: [String: NodeExecution] = [:], versions: [String: String] = [:]) {
    self.executions = executions
    self.versions = versions
  }

  /// The executor version of a type.
  public func version(for type: String) -> String { versions[type] ?? "1" }

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
}
