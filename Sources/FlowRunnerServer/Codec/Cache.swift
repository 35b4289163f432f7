import FlowExecution
import JSON
import JSONRPC

/// `cache.stats`: → `{entries, bytes, hits, misses, path, shared}` (`path`: the SQLite file in
/// use, null when the cache lives in memory only; `shared`: the PostgreSQL database shared with
/// other engines, without its password, null when there is none).
enum CacheStatsMethod: RequestCodec {
  typealias Params = NoParams
  static let method = "cache.stats"

  static func encode(_ result: (stats: ResponseCache.Stats?, path: String?, shared: String?)) -> JSONValue {
    let (stats, path, shared) = result
    return [
      "entries": .int(stats?.entries ?? 0), "bytes": .int(stats?.bytes ?? 0), "hits": .int(stats?.hits ?? 0),
      "misses": .int(stats?.misses ?? 0), "path": path.map(JSONValue.string) ?? .null,
      "shared": shared.map(JSONValue.string) ?? .null,
    ]
  }
}

/// `cache.clear`: `{node_type?}` → `{removed}`: every entry, or those of one node type.
enum CacheClearMethod: RequestCodec {
  static let method = "cache.clear"
  static let positionalNames = ["node_type"]

  static func decode(_ params: MessageParams?) throws(ResponseError) -> String? {
    try reader(params).string("node_type")
  }

  static func encode(_ removed: Int) -> JSONValue { ["removed": .int(removed)] }
}
