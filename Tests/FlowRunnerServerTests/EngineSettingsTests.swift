import FlowExecution
import FlowProviders
import FlowRunnerServer
import JSON
import JSONRPC
import Testing

@Suite("Engine settings")
struct EngineSettingsTests {
  @Test("precedence: initialize over the config file over the environment, field by field")
  func precedence() throws {
    let environment = EngineSettings(
      providers: .fromEnvironment([
        "MISTRAL_API_KEY": "env-key", "MISTRAL_BASE_URL": "http://env.example/v1/", "ZHIPUAI_API_KEY": "zhipu",
      ]))
    let file = try EngineSettings(
      reading: ParamsReader(
        ["providers": ["mistral": ["base_url": "http://file.example/v1", "max_concurrency": 2]], "cache": ["max_entries": 10]],
        path: "config"))
    let client = try EngineSettings(
      reading: ParamsReader(["providers": ["mistral": ["max_concurrency": 4]], "cache": ["enabled": false]]))
    let merged = environment.overlaid(with: file).overlaid(with: client)
    let mistral = merged.providers.effectiveSettings(for: ProviderDescriptor.named("mistral")!)
    #expect(mistral.apiKey == APIKey("env-key"))
    #expect(mistral.baseURL == "http://file.example/v1")
    #expect(mistral.maxConcurrency == 4)
    #expect(mistral.defaultModel == "mistral-small-latest")
    #expect(merged.cache == CacheSettings(enabled: false, maxEntries: 10))
    #expect(merged.providers.isConfigured(ProviderDescriptor.named("glm")!))
    #expect(!merged.providers.isConfigured(ProviderDescriptor.named("claude")!))
    #expect(merged.providers.isConfigured(ProviderDescriptor.named("echo")!))
    #expect(environment.providers.effectiveSettings(for: ProviderDescriptor.named("mistral")!).baseURL == "http://env.example/v1")
  }

  @Test(
    "invalid settings name the field and never the value",
    arguments: [
      (#"{"providers":{"nope":{}}}"#, "params.providers.nope"),
      (#"{"providers":{"mistral":{"api_key":42}}}"#, "params.providers.mistral.api_key"),
      (#"{"providers":{"mistral":{"api_key":"sk-canary","base_url":"ftp://x"}}}"#, "params.providers.mistral.base_url"),
      (#"{"providers":{"mistral":{"api_key":"sk-canary","apikey":"sk-canary"}}}"#, "params.providers.mistral.apikey"),
      (#"{"providers":{"claude":{"max_concurrency":0}}}"#, "params.providers.claude.max_concurrency"),
      (#"{"providers":{"claude":{"timeout_seconds":-1}}}"#, "params.providers.claude.timeout_seconds"),
      (#"{"model_defaults":{"translator":{"provider_id":"nope"}}}"#, "params.model_defaults.translator.provider_id"),
      (#"{"cache":{"path":"relative.sqlite"}}"#, "params.cache.path"),
      (#"{"cache":{"max_entries":"many"}}"#, "params.cache.max_entries"),
      (#"{"unknown":1}"#, "params.unknown"),
    ])
  func invalid(json: String, field: String) throws {
    let params = try JSONParser.parse(json)
    do {
      _ = try EngineSettings(reading: ParamsReader(params))
      Issue.record("expected an error for \(json)")
    } catch {
      #expect(error.code == .invalidParams)
      #expect(error.message.contains(field), "\(error.message)")
      #expect(!error.message.contains("sk-canary"))
    }
  }

  @Test("an API key never prints")
  func keyRedaction() throws {
    let key = try #require(APIKey("  sk-secret  "))
    #expect("\(key)" == "<redacted>")
    #expect(String(reflecting: key) == "<redacted>")
    #expect(key.revealedForRequest == "sk-secret")
    #expect(!"\(ProviderSettings(apiKey: key))".contains("sk-secret"))
    #expect(APIKey("   ") == nil)
  }

  @Test("limits: layered like the rest, each field range-checked and named")
  func limits() throws {
    let file = try EngineSettings(reading: ParamsReader(["limits": ["max_output_bytes": 2048]], path: "config"))
    let client = try EngineSettings(reading: ParamsReader(["limits": ["max_remembered_bytes": 1_048_576]]))
    let merged = file.overlaid(with: client)
    #expect(merged.limits == LimitsSettings(maxOutputBytes: 2048, maxRememberedBytes: 1_048_576))
    #expect(merged.limits.runLimits.maxOutputBytes == 2048 && merged.limits.runLimits.maxRunOutputBytes == 64 << 20)
    for (limits, message): (JSONValue, String) in [
      (["max_output_bytes": 10], "params.limits.max_output_bytes must be from 1024 to"),
      (["max_batch": 5], "params.limits.max_batch is not a limit this engine applies"),
      (["max_remembered_bytes": "big"], "params.limits.max_remembered_bytes must be an integer"),
    ] {
      #expect(throws: ResponseError.self) { try EngineSettings(reading: ParamsReader(["limits": limits])) }
      do {
        _ = try EngineSettings(reading: ParamsReader(["limits": limits]))
      } catch {
        #expect(error.message.hasPrefix(message), "\(error.message)")
      }
    }
  }
}
