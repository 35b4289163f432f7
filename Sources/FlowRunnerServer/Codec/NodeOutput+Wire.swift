import FlowExecution
import FlowGraph
import JSON

/// The value shapes every run notification shares: `NodeOutput`, usage, node and run errors.
public enum NodeOutputWire {
  /// Reads a client-supplied output (`cached_outputs`), keeping what has the documented shape.
  static func decode(_ object: JSONObject) -> NodeOutput {
    var output = NodeOutput()
    output.text = object["text"]?.stringValue
    output.personas = object["personas"]?.arrayValue?.compactMap(\.objectValue)
    if let image = object["image"]?.objectValue { output.image = ImageWire.decode(image) }
    return output
  }

  /// The wire form of an output.
  public static func encode(_ output: NodeOutput) -> JSONValue {
    var object = JSONObject()
    if let text = output.text { object["text"] = .string(text) }
    if let personas = output.personas { object["personas"] = .array(personas.map(JSONValue.object)) }
    if let image = output.image { object["image"] = ImageWire.encode(image) }
    if let model = output.model {
      object["model"] = [
        "provider_id": .string(model.providerID), "model": .string(model.model), "source": .string(model.source.rawValue),
      ]
    }
    if let usage = output.usage {
      object["usage"] = ["input_tokens": .int(usage.inputTokens), "output_tokens": .int(usage.outputTokens)]
    }
    return .object(object)
  }

  /// Run totals: `{input_tokens, output_tokens, provider_calls, complete}`.
  static func encode(_ usage: RunUsage) -> JSONValue {
    [
      "input_tokens": .int(usage.tokens.inputTokens), "output_tokens": .int(usage.tokens.outputTokens),
      "provider_calls": .int(usage.providerCalls), "complete": .bool(usage.complete),
    ]
  }

  /// A node's `error`: `{code, message, provider_id?, http_status?, retryable?}`.
  static func encode(_ error: NodeError) -> JSONValue {
    var object: JSONObject = ["code": .string(error.code.rawValue), "message": .string(error.message)]
    if let providerID = error.providerID { object["provider_id"] = .string(providerID) }
    if let httpStatus = error.httpStatus { object["http_status"] = .int(httpStatus) }
    if let retryable = error.retryable { object["retryable"] = .bool(retryable) }
    return .object(object)
  }

  /// A run's `error`: `{code, message, failed_node_ids}`.
  static func encode(_ failure: RunFailure) -> JSONValue {
    [
      "code": .string(failure.code), "message": .string(failure.message),
      "failed_node_ids": .array(failure.failedNodeIDs.map(JSONValue.string)),
    ]
  }

  /// The outputs of terminal notifications and `execution.status`: node id → output.
  static func encode(_ outputs: [(String, NodeOutput)]) -> JSONValue {
    var object = JSONObject()
    object.reserveCapacity(outputs.count)
    for (id, output) in outputs { object[id] = encode(output) }
    return .object(object)
  }
}
