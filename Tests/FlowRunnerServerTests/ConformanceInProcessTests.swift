import FlowRunnerTestSupport
import Testing

@Suite("Conformance checklist, in process over pipes")
struct ConformanceInProcessTests {
  @Test(arguments: ConformanceCase.all)
  func conformance(_ testCase: ConformanceCase) async throws {
    let peer = try InProcessPeer(options: testCase.options)
    try await testCase.run(peer)
    await peer.finish()
  }
}
