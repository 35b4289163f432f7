import Crypto
import FlowGraph
import FlowProviders
import JSON

/// The key a provider call is cached under: SHA-256 over canonical JSON (members sorted, no
/// white space) of the node type, its executor version, the prompt template and its version,
/// the resolved provider and model, and the request as rendered: the messages carry everything
/// of the node's `data` and inputs that reaches the provider (its relevant fields, the merged
/// input text, the personas), so a field that changes nothing sent (an editor's `label`) does
/// not change the key. No credential is part of it.
public struct CacheKey: Sendable, Hashable, CustomStringConvertible {
  /// 64 lowercase hex digits.
  public let hex: String

  /// The key of one call.
  public init(
    nodeType: String, executorVersion: String, template: String, providerID: String, request: ChatRequest
  ) {
    var fields: JSONObject = [
      "node_type": .string(nodeType), "executor_version": .string(executorVersion), "template": .string(template),
      "provider_id": .string(providerID), "model": .string(request.model),
      "messages": .array(
        request.messages.map { message in
          var fields: JSONObject = ["role": .string(message.role), "content": .string(message.content)]
          // Images by their digests: the key changes with the pixels sent, and stays small.
          if !message.images.isEmpty {
            fields["images"] = .array(message.images.map { ["mime_type": .string($0.mimeType), "sha256": .string($0.sha256)] })
          }
          return .object(fields)
        }),
    ]
    if let temperature = request.temperature { fields["temperature"] = .double(temperature) }
    if let maxTokens = request.maxTokens { fields["max_tokens"] = .int(maxTokens) }
    hex = Self.digest(.object(fields))
  }

  /// SHA-256 of the canonical JSON of `value`, as hex.
  static func digest(_ value: JSONValue) -> String {
    SHA256.hash(data: canonical(value)).map { byte in
      let digits = Array("0123456789abcdef".utf8)
      return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
    }.joined()
  }

  /// The key of an image generation: the request's prompt and parameters in place of messages.
  public init(
    nodeType: String, executorVersion: String, template: String, providerID: String, imageRequest: ImageGenerationRequest
  ) {
    var fields: JSONObject = [
      "node_type": .string(nodeType), "executor_version": .string(executorVersion), "template": .string(template),
      "provider_id": .string(providerID), "model": .string(imageRequest.model), "prompt": .string(imageRequest.prompt),
    ]
    if let width = imageRequest.width { fields["width"] = .int(width) }
    if let height = imageRequest.height { fields["height"] = .int(height) }
    if let seed = imageRequest.seed { fields["seed"] = .int(seed) }
    if let negative = imageRequest.negativePrompt { fields["negative_prompt"] = .string(negative) }
    hex = Self.digest(.object(fields))
  }

  public var description: String { hex }

  /// JSON with every object's members sorted by name, as bytes.
  static func canonical(_ value: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    append(value, to: &out)
    return out
  }

  private static func append(_ value: JSONValue, to out: inout [UInt8]) {
    switch value {
    case .object(let object):
      out.append(UInt8(ascii: "{"))
      for (position, member) in object.members.sorted(by: { $0.key < $1.key }).enumerated() {
        if position > 0 { out.append(UInt8(ascii: ",")) }
        JSONSerializer.append(member.key, to: &out)
        out.append(UInt8(ascii: ":"))
        append(member.value, to: &out)
      }
      out.append(UInt8(ascii: "}"))
    case .array(let elements):
      out.append(UInt8(ascii: "["))
      for (position, element) in elements.enumerated() {
        if position > 0 { out.append(UInt8(ascii: ",")) }
        append(element, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    default:
      JSONSerializer.append(value, to: &out)
    }
  }
}
