/// Which wire API a provider speaks.
public enum ProviderKind: String, Sendable {
  /// OpenAI-compatible chat completions.
  case openAICompatible = "openai_compatible"
  /// The Anthropic Messages API.
  case anthropic
  /// In process, no network.
  case offline
}

/// The fixed facts about one provider: how it is reached, configured and what it can do.
public struct ProviderDescriptor: Sendable, Hashable {
  /// The id used in flows and settings (`mistral`, `claude`, ...).
  public var id: String
  /// The API it speaks.
  public var kind: ProviderKind
  /// Environment variables holding its API key, first match wins.
  public var apiKeyVariables: [String]
  /// The environment variable overriding its base URL.
  public var baseURLVariable: String?
  /// The base URL of the real API.
  public var defaultBaseURL: String?
  /// The model used when neither the node nor the settings name one.
  public var defaultModel: String
  /// Whether it can generate images.
  public var supportsImages: Bool { imageAPI != nil }
  /// Its default vision model (for `imageDescriber`), if it has vision models.
  public var visionModel: String?
  /// Its default image-generation model, if it generates images.
  public var imageModel: String?
  /// How it generates images, if it does.
  public var imageAPI: ImageAPI?
  /// Image formats its vision models take as they are (JPEG and PNG always; others are
  /// refused with what to do).
  public var visionPassThrough: Set<String>
  /// The largest image its vision models take, in bytes (Anthropic: 5 MB).
  public var visionMaxBytes: Int { kind == .anthropic ? 5_000_000 : 20_000_000 }

  /// The image-generation APIs.
  public enum ImageAPI: String, Sendable, Hashable {
    /// Hugging Face text-to-image (FLUX): `POST …/hf-inference/models/<model>`, raw image bytes
    /// (or JSON with `b64_json` or a URL) back.
    case huggingFace
    /// Zhipu CogView: `POST {base}/images/generations`, a temporary URL back.
    case cogView
    /// `echo`: a small PNG made from the prompt.
    case offline
  }

  /// A descriptor.
  init(
    id: String, kind: ProviderKind, apiKeyVariables: [String], baseURLVariable: String?, defaultBaseURL: String?,
    defaultModel: String, visionModel: String?, imageModel: String? = nil, imageAPI: ImageAPI? = nil,
    visionPassThrough: Set<String> = ["gif", "webp"]
  ) {
    self.id = id
    self.kind = kind
    self.apiKeyVariables = apiKeyVariables
    self.baseURLVariable = baseURLVariable
    self.defaultBaseURL = defaultBaseURL
    self.defaultModel = defaultModel
    self.visionModel = visionModel
    self.imageModel = imageModel
    self.imageAPI = imageAPI
    self.visionPassThrough = visionPassThrough
  }
  /// Whether streamed requests must ask for usage (`stream_options.include_usage`); the others
  /// either send it anyway (Mistral, GLM, Anthropic) or refuse unknown fields (Mistral).
  public var asksForStreamUsage: Bool { id == "openrouter" || id == "huggingface" }
  /// Whether it needs credentials at all.
  public var needsCredentials: Bool { kind != .offline }

  /// Every provider the engine knows, in a stable order.
  public static let all: [ProviderDescriptor] = [
    ProviderDescriptor(
      id: "mistral", kind: .openAICompatible, apiKeyVariables: ["MISTRAL_API_KEY"],
      baseURLVariable: "MISTRAL_BASE_URL", defaultBaseURL: "https://api.mistral.ai/v1",
      defaultModel: "mistral-small-latest", visionModel: "pixtral-12b-latest"),
    ProviderDescriptor(
      id: "glm", kind: .openAICompatible, apiKeyVariables: ["GLM_API_KEY", "ZHIPUAI_API_KEY"],
      baseURLVariable: "GLM_BASE_URL", defaultBaseURL: "https://open.bigmodel.cn/api/paas/v4",
      defaultModel: "glm-4-flash", visionModel: "glm-4v-flash", imageModel: "cogview-4", imageAPI: .cogView,
      visionPassThrough: []),
    ProviderDescriptor(
      id: "openrouter", kind: .openAICompatible, apiKeyVariables: ["OPENROUTER_API_KEY"],
      baseURLVariable: "OPENROUTER_BASE_URL", defaultBaseURL: "https://openrouter.ai/api/v1",
      defaultModel: "openai/gpt-4o-mini", visionModel: "openai/gpt-4o-mini"),
    ProviderDescriptor(
      id: "huggingface", kind: .openAICompatible, apiKeyVariables: ["HF_TOKEN"],
      baseURLVariable: "HF_BASE_URL", defaultBaseURL: "https://router.huggingface.co/v1",
      defaultModel: "meta-llama/Llama-3.1-8B-Instruct", visionModel: "meta-llama/Llama-3.2-11B-Vision-Instruct",
      imageModel: "black-forest-labs/FLUX.1-schnell", imageAPI: .huggingFace),
    ProviderDescriptor(
      id: "claude", kind: .anthropic, apiKeyVariables: ["ANTHROPIC_API_KEY"],
      baseURLVariable: "ANTHROPIC_BASE_URL", defaultBaseURL: "https://api.anthropic.com",
      defaultModel: "claude-haiku-4-5", visionModel: "claude-haiku-4-5"),
    ProviderDescriptor(
      id: "echo", kind: .offline, apiKeyVariables: [], baseURLVariable: nil, defaultBaseURL: nil,
      defaultModel: "echo-1", visionModel: "echo-vision-1", imageModel: "echo-image-1", imageAPI: .offline),
  ]

  /// The descriptor for an id, or `nil` for an unknown provider.
  public static func named(_ id: String) -> ProviderDescriptor? {
    all.first { $0.id == id }
  }

  /// The known ids, for messages ("known: mistral, glm, ...").
  public static var knownIDs: String { all.map(\.id).joined(separator: ", ") }
}
