import FlowRunnerTestSupport
import Testing

@Suite("Conformance checklist, against the built binary")
struct ConformanceEndToEndTests {
  @Test(arguments: ConformanceCase.all)
  func conformance(_ testCase: ConformanceCase) async throws {
    let peer = try ProcessPeer(options: testCase.options)
    try await testCase.run(peer)
    await peer.finish()
  }
}
