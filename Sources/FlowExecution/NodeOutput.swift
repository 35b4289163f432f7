import JSONRPC

/// Token counts of one provider call or of a whole run.
public struct TokenUsage: Sendable, Hashable {
  /// Prompt tokens.
  public var inputTokens: Int
  /// Completion tokens.
  public var outputTokens: Int

  /// Usage with both counts.
  public init(inputTokens: Int = 0, outputTokens: Int = 0) {
    self.inputTokens = inputTokens
    self.outputTokens = outputTokens
  }
}

/// Usage totals reported on a run's terminal notification.
public struct RunUsage: Sendable, Hashable {
  /// Summed token counts.
  public var tokens = TokenUsage()
  /// Every HTTP attempt made, retries and failures included.
  public var providerCalls = 0

  /// Zero usage.
  public init() {}

  /// The wire form `{input_tokens, output_tokens, provider_calls}`.
  public var json: JSONValue {
    [
      "input_tokens": .int(tokens.inputTokens), "output_tokens": .int(tokens.outputTokens),
      "provider_calls": .int(providerCalls),
    ]
  }
}

/// The provider and model that produced a node's output, and which rule chose them.
public struct ModelChoice: Sendable, Hashable {
  /// Which model-resolution level matched.
  public enum Source: String, Sendable {
    case node
    case nodeTypeDefault = "node_type_default"
    case flow
  }

  /// The provider id.
  public var providerID: String
  /// The model id.
  public var model: String
  /// The level that chose it.
  public var source: Source

  /// A resolved model.
  public init(providerID: String, model: String, source: Source) {
    self.providerID = providerID
    self.model = model
    self.source = source
  }
}

/// An image produced or consumed by a node.
public struct ImageData: Sendable, Hashable {
  /// `image/png`, `image/jpeg`, ...
  public var mimeType: String
  /// The bytes, base64-encoded.
  public var base64: String?
  /// Where the image can be fetched.
  public var url: String?
  /// Pixel width, if known.
  public var width: Int?
  /// Pixel height, if known.
  public var height: Int?

  /// An image.
  public init(mimeType: String, base64: String? = nil, url: String? = nil, width: Int? = nil, height: Int? = nil) {
    self.mimeType = mimeType
    self.base64 = base64
    self.url = url
    self.width = width
    self.height = height
  }
}

/// What a node produced: `NodeOutput` of the protocol.
public struct NodeOutput: Sendable, Hashable {
  /// Text output.
  public var text: String?
  /// Personas: objects with `name`, `description` and extra string fields.
  public var personas: [JSONObject]?
  /// Image output.
  public var image: ImageData?
  /// The model used, for nodes that called a provider.
  public var model: ModelChoice?
  /// Tokens used, for nodes that called a provider.
  public var usage: TokenUsage?

  /// An output with the given parts.
  public init(
    text: String? = nil, personas: [JSONObject]? = nil, image: ImageData? = nil, model: ModelChoice? = nil,
    usage: TokenUsage? = nil
  ) {
    self.text = text
    self.personas = personas
    self.image = image
    self.model = model
    self.usage = usage
  }
}

extension NodeOutput {
  /// Reads a client-supplied output (`cached_outputs`), keeping what has the documented shape.
  public init(json: JSONValue) {
    self.init()
    text = json["text"]?.stringValue
    personas = json["personas"]?.arrayValue?.compactMap(\.objectValue)
    if let image = json["image"]?.objectValue {
      self.image = ImageData(
        mimeType: image["mime_type"]?.stringValue ?? "application/octet-stream", base64: image["base64"]?.stringValue,
        url: image["url"]?.stringValue, width: image["width"]?.intValue, height: image["height"]?.intValue)
    }
  }

  /// The wire form.
  public var json: JSONValue {
    var object = JSONObject()
    if let text { object["text"] = .string(text) }
    if let personas { object["personas"] = .array(personas.map(JSONValue.object)) }
    if let image {
      var imageObject: JSONObject = ["mime_type": .string(image.mimeType)]
      if let base64 = image.base64 { imageObject["base64"] = .string(base64) }
      if let url = image.url { imageObject["url"] = .string(url) }
      if let width = image.width { imageObject["width"] = .int(width) }
      if let height = image.height { imageObject["height"] = .int(height) }
      object["image"] = .object(imageObject)
    }
    if let model {
      object["model"] = [
        "provider_id": .string(model.providerID), "model": .string(model.model), "source": .string(model.source.rawValue),
      ]
    }
    if let usage {
      object["usage"] = ["input_tokens": .int(usage.inputTokens), "output_tokens": .int(usage.outputTokens)]
    }
    return .object(object)
  }
}
