import JSON

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

  /// Adds `other`'s counts, saturating at `Int.max`: counts come from providers.
  public mutating func add(_ other: TokenUsage) {
    inputTokens = Self.saturatingSum(inputTokens, other.inputTokens)
    outputTokens = Self.saturatingSum(outputTokens, other.outputTokens)
  }

  private static func saturatingSum(_ first: Int, _ second: Int) -> Int {
    let (sum, overflow) = first.addingReportingOverflow(second)
    return overflow ? (second < 0 ? .min : .max) : sum
  }
}

/// The provider and model that produced a node's output, and which rule chose them.
public struct ModelChoice: Sendable, Hashable {
  /// Which model-resolution level matched.
  public enum Source: String, Sendable {
    case node
    case nodeTypeDefault = "node_type_default"
    case flow
    /// The flow's provider is `echo`: every provider call of the run goes to `echo`.
    case dryRun = "dry_run"
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

/// An image a node produced or takes in: `Image` of the protocol (`{mime_type, width, height,
/// bytes, sha256, base64?, path?}`).
public struct ImageValue: Sendable, Hashable {
  /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
  public var mimeType: String
  /// Pixel width.
  public var width: Int
  /// Pixel height.
  public var height: Int
  /// The encoded bytes, when the engine holds them.
  public var data: [UInt8]?
  /// The size of the encoded image in bytes.
  public var byteCount: Int
  /// 64 lowercase hex digits: the SHA-256 of the encoded bytes.
  public var sha256: String
  /// The absolute path of the image's content-addressed file, once written there.
  public var path: String?

  /// An image.
  public init(
    mimeType: String, width: Int, height: Int, data: [UInt8]?, byteCount: Int, sha256: String, path: String? = nil
  ) {
    self.mimeType = mimeType
    self.width = width
    self.height = height
    self.data = data
    self.byteCount = byteCount
    self.sha256 = sha256
    self.path = path
  }
}

/// What a node produced: `NodeOutput` of the protocol.
///
/// Most outputs are text alone, and outputs are copied often (into events, the run's log, the
/// terminal outputs), so everything but the text is kept in one shared box: an output is two
/// words, and copying it retains at most two objects.
public struct NodeOutput: Sendable, Hashable {
  /// Text output.
  public var text: String?
  /// The parts other than the text, when there are any.
  private var extras: Extras?

  /// Personas: objects with `name`, `description` and extra string fields.
  public var personas: [JSONObject]? {
    get { extras?.parts.personas }
    set { update { $0.personas = newValue } }
  }
  /// Image output.
  public var image: ImageValue? {
    get { extras?.parts.image }
    set { update { $0.image = newValue } }
  }
  /// The model used, for nodes that called a provider.
  public var model: ModelChoice? {
    get { extras?.parts.model }
    set { update { $0.model = newValue } }
  }
  /// Tokens used, for nodes that called a provider.
  public var usage: TokenUsage? {
    get { extras?.parts.usage }
    set { update { $0.usage = newValue } }
  }
  /// Set when the output came from the engine's cache (or a call another node had in flight)
  /// instead of a provider call of the node's own: the key it is stored under. Not part of the
  /// output on the wire; `execution.node.completed` reports it as `cached` and `cache_key`.
  public var cacheKey: String? {
    get { extras?.parts.cacheKey }
    set { update { $0.cacheKey = newValue } }
  }

  /// Whether the output has text and nothing else (no personas, image, model, usage or cache key).
  public var isTextOnly: Bool { extras == nil && text != nil }

  /// An output with the given parts.
  public init(
    text: String? = nil, personas: [JSONObject]? = nil, image: ImageValue? = nil, model: ModelChoice? = nil,
    usage: TokenUsage? = nil
  ) {
    self.text = text
    let parts = Parts(personas: personas, image: image, model: model, usage: usage, cacheKey: nil)
    self.extras = parts.isEmpty ? nil : Extras(parts)
  }

  /// Changes the boxed parts; the box is shared by copies, so a change makes a new one.
  private mutating func update(_ change: (inout Parts) -> Void) {
    var parts = extras?.parts ?? Parts()
    change(&parts)
    extras = parts.isEmpty ? nil : Extras(parts)
  }

  /// Everything but the text.
  fileprivate struct Parts: Sendable, Hashable {
    var personas: [JSONObject]?
    var image: ImageValue?
    var model: ModelChoice?
    var usage: TokenUsage?
    var cacheKey: String?

    var isEmpty: Bool { personas == nil && image == nil && model == nil && usage == nil && cacheKey == nil }
  }
}

/// The non-text parts of an output, held by reference (immutable, so sharing it is safe) and
/// compared by value.
private final class Extras: Sendable, Hashable {
  let parts: NodeOutput.Parts

  init(_ parts: NodeOutput.Parts) { self.parts = parts }

  static func == (lhs: Extras, rhs: Extras) -> Bool { lhs === rhs || lhs.parts == rhs.parts }

  func hash(into hasher: inout Hasher) { hasher.combine(parts) }
}
