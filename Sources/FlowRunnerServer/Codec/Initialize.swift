import FlowGraph
import FlowProviders
import JSON
import JSONRPC

/// `initialize`: settings (`providers`, `model_defaults`, `cache`) and `client_info` →
/// `{server_info, protocol_version, capabilities}`.
enum InitializeMethod: RequestCodec {
  struct Params {
    var settings: EngineSettings
    var clientName: String?
    var clientVersion: String?
  }

  /// What the capabilities report.
  struct Result {
    var settings: EngineSettings
    var catalog: NodeCatalog
    var framing: Framing
    var maxMessageBytes: Int
  }

  static let method = "initialize"
  static var positionalNames: [String] { EngineSettings.memberNames }

  static func decode(_ params: MessageParams?) throws(ResponseError) -> Params {
    let reader = try reader(params)
    let settings = try EngineSettings(reading: reader)
    let client = try reader.object("client_info")
    return Params(settings: settings, clientName: try client?.string("name"), clientVersion: try client?.string("version"))
  }

  static func encode(_ result: Result) -> JSONValue {
    [
      "server_info": ["name": .string(ServerInfo.name), "version": .string(ServerInfo.version)],
      "protocol_version": .string(ServerInfo.protocolVersion),
      "capabilities": [
        "methods": .array(ServerMethods.all.map(JSONValue.string)),
        "notifications": .array(RunEventEncoder.methods.map(JSONValue.string)),
        "node_types": .array(result.catalog.typeNames.map(JSONValue.string)),
        "providers": ProvidersListMethod.providers(result.settings.providers),
        "streaming": true,
        "framing": .string(result.framing.rawValue),
        "max_message_bytes": .int(result.maxMessageBytes),
      ],
    ]
  }
}

/// The methods this server answers, as `initialize` lists them.
enum ServerMethods {
  static let all = [
    InitializeMethod.method, ShutdownMethod.method, PingMethod.method, ExecutionStartMethod.method,
    ExecutionCancelMethod.method, ExecutionStatusMethod.method, ExecutionListMethod.method, ExecutionEventsMethod.method,
    FlowValidateMethod.method, NodesListMethod.method, ProvidersListMethod.method, CacheStatsMethod.method,
    CacheClearMethod.method, QuotaStatusMethod.method,
  ]
}
