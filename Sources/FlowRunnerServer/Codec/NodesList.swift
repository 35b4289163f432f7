import FlowGraph
import JSON
import JSONRPC

/// `nodes.list`: → `{node_types: [{type, category, calls_provider, inputs, required_inputs,
/// output, data_fields}]}`, the palette an editor builds its forms from.
public enum NodesListMethod: RequestCodec {
  typealias Result = NodeCatalog
  typealias Params = NoParams
  /// The method name.
  public static let method = "nodes.list"

  /// The `nodes.list` result for a catalog.
  public static func encode(_ catalog: NodeCatalog) -> JSONValue {
    ["node_types": .array(catalog.descriptors.map(encode))]
  }

  static func encode(_ descriptor: NodeTypeDescriptor) -> JSONValue {
    [
      "type": .string(descriptor.type),
      "category": .string(descriptor.category.rawValue),
      "calls_provider": .bool(descriptor.callsProvider),
      "inputs": .array(descriptor.inputs.map { .string($0.rawValue) }),
      "required_inputs": .array(descriptor.requiredInputs.map { .string($0.rawValue) }),
      "output": .array(descriptor.output.map { .string($0.rawValue) }),
      "data_fields": .array(
        descriptor.dataFields.map { field in
          var object: JSONObject = [
            "name": .string(field.name), "type": .string(field.type.rawValue), "required": .bool(field.required),
            "description": .string(field.description),
          ]
          if let values = field.values { object["values"] = .array(values.map(JSONValue.string)) }
          if let minimum = field.minimum { object["minimum"] = .int(minimum) }
          return .object(object)
        }),
    ]
  }
}
