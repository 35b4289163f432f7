import FlowExecution
import FlowProviders
import Signals
import Testing

@Suite("Response cache: keys, eviction, single flight")
struct ResponseCacheTests {
  static func key(
    nodeType: String = "translator", executorVersion: String = "1", template: String = "translate@1",
    providerID: String = "mistral", model: String = "mistral-small-latest",
    messages: [ChatMessage] = [.system("Translate into French."), .user("a lighthouse at dusk")]
  ) -> CacheKey {
    CacheKey(
      nodeType: nodeType, executorVersion: executorVersion, template: template, providerID: providerID,
      request: ChatRequest(model: model, messages: messages))
  }

  @Test("the same call has the same key; changing any component changes it")
  func keyComponents() {
    let base = Self.key()
    #expect(base == Self.key())
    #expect(base.hex.count == 64 && base.hex.allSatisfy(\.isHexDigit))
    let changed = [
      Self.key(nodeType: "grammarFix"),
      Self.key(executorVersion: "2"),
      Self.key(template: "translate@2"),
      Self.key(providerID: "glm"),
      Self.key(model: "mistral-large-latest"),
      // A data field (the language), the merged input text, the personas: all reach the messages.
      Self.key(messages: [.system("Translate into German."), .user("a lighthouse at dusk")]),
      Self.key(messages: [.system("Translate into French."), .user("a lighthouse at dawn")]),
      Self.key(messages: [.system("Translate into French."), .user("- Ada: a keeper\na lighthouse at dusk")]),
    ]
    #expect(Set(changed.map(\.hex)).count == changed.count)
    #expect(!changed.contains(base))
  }

  static func entry(_ text: String, type: String = "translator") -> ResponseCache.Entry {
    ResponseCache.Entry(text: text, inputTokens: 3, outputTokens: 4, nodeType: type)
  }

  @Test("least recently used entries go first, by count and by bytes; clear by node type")
  func eviction() async {
    let cache = ResponseCache(maxEntries: 2)
    let (a, b, c) = (Self.key(model: "a"), Self.key(model: "b"), Self.key(model: "c"))
    await cache.store(a, Self.entry("A"))
    await cache.store(b, Self.entry("B"))
    #expect(await cache.lookup(a)?.text == "A")  // a is now more recent than b
    await cache.store(c, Self.entry("C"))
    #expect(await cache.lookup(b) == nil)
    #expect(await cache.lookup(a)?.text == "A")
    #expect(await cache.lookup(c)?.text == "C")
    let stats = await cache.stats()
    #expect(stats.entries == 2 && stats.hits == 3 && stats.misses == 1)

    let small = ResponseCache(maxEntries: 100, maxBytes: 1000)
    await small.store(a, Self.entry(String(repeating: "x", count: 500)))
    await small.store(b, Self.entry(String(repeating: "y", count: 500)))
    #expect(await small.stats().entries == 1)
    #expect(await small.lookup(b) != nil)
    #expect(await small.stats().bytes <= 1000)
    await small.store(c, Self.entry(String(repeating: "z", count: 5000)))  // larger than the cap: not kept
    #expect(await small.lookup(c) == nil)

    let mixed = ResponseCache()
    await mixed.store(a, Self.entry("A", type: "translator"))
    await mixed.store(b, Self.entry("B", type: "compressor"))
    #expect(await mixed.clear(nodeType: "compressor") == 1)
    #expect(await mixed.lookup(a) != nil)
    #expect(await mixed.lookup(b) == nil)
    #expect(await mixed.clear() == 1)
    let cleared = await mixed.stats()
    #expect(cleared.entries == 0 && cleared.bytes == 0)
  }

  @Test("identical calls in flight at once make one call; every caller gets its reply")
  func singleFlight() async throws {
    let cache = ResponseCache()
    let calls = Locked(0)
    let gate = Latch<Void>()
    let key = Self.key()
    let results = try await withThrowingTaskGroup(of: (String, ResponseCache.Source).self) { group in
      for _ in 0..<10 {
        group.addTask {
          let (reply, source) = try await cache.shared(key, nodeType: "translator", stores: true) {
            calls.withLock { $0 += 1 }
            await gate.wait()
            return ChatResponse(text: "un phare au crépuscule", inputTokens: 5, outputTokens: 6)
          }
          return (reply.text, source)
        }
      }
      // Everyone is waiting on the one call before it answers.
      while cache.waitingCount(for: key) < 10 { await Task.yield() }
      gate.set(())
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(calls.withLock { $0 } == 1)
    #expect(results.allSatisfy { $0.0 == "un phare au crépuscule" })
    #expect(results.filter { if case .called = $0.1 { true } else { false } }.count == 1)
    #expect(await cache.lookup(key)?.text == "un phare au crépuscule")
  }

  @Test("a waiter's cancel stops only its wait; the last one out cancels the call, which is not stored")
  func cancellation() async throws {
    let cache = ResponseCache()
    let key = Self.key()
    let callCancelled = Latch<Void>()
    let call: @Sendable () async throws(ProviderError) -> ChatResponse = { () async throws(ProviderError) -> ChatResponse in
      guard (try? await Task.sleep(for: .seconds(30))) != nil else {
        callCancelled.set(())
        throw ProviderError(code: "cancelled", message: "cancelled", providerID: "mistral")
      }
      return ChatResponse(text: "late")
    }
    let first = Task { try await cache.shared(key, nodeType: "translator", stores: true, call: call) }
    let second = Task { try await cache.shared(key, nodeType: "translator", stores: true, call: call) }
    while cache.waitingCount(for: key) < 2 { await Task.yield() }
    first.cancel()
    await #expect(throws: CancellationError.self) { try await first.value }
    #expect(callCancelled.value == nil, "the call went on for the other waiter")
    second.cancel()
    await #expect(throws: CancellationError.self) { try await second.value }
    _ = await callCancelled.wait(timeout: .seconds(5))
    #expect(callCancelled.value != nil)
    #expect(await cache.lookup(key) == nil)
  }

  @Test("a caller cancelled before it waits ends at once and starts no call")
  func cancelledBeforeWaiting() async {
    let cache = ResponseCache()
    let calls = Locked(0)
    let task = Task {
      while !Task.isCancelled { await Task.yield() }
      return try await cache.shared(Self.key(), nodeType: "translator", stores: true) {
        calls.withLock { $0 += 1 }
        return ChatResponse(text: "never")
      }
    }
    task.cancel()
    await #expect(throws: CancellationError.self) { try await task.value }
    #expect(calls.withLock { $0 } == 0)
    #expect(cache.waitingCount(for: Self.key()) == 0)
  }

  @Test("a failed call is handed to every waiter and never stored")
  func failuresAreNotStored() async {
    let cache = ResponseCache()
    let key = Self.key()
    await #expect(throws: ProviderError.self) {
      _ = try await cache.shared(key, nodeType: "translator", stores: true) { () async throws(ProviderError) -> ChatResponse in
        throw ProviderError(code: "provider_http_error", message: "HTTP 500", providerID: "mistral")
      }
    }
    #expect(await cache.lookup(key) == nil)
  }
}
