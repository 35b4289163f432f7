import JSON
import Testing

@testable import JSONRPC

@Suite("Input pipeline")
struct InputPipelineTests {
  func request(_ id: Int) throws -> InputPipeline.Item {
    .decoded(try DecodedBody(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"sleep"}"#.utf8)))
  }

  @Test("a cancel that arrives while its request is being handed over is reported when the hand-over ends")
  func cancelDuringHandOver() throws {
    let pipeline = InputPipeline()
    pipeline.enqueue(try request(1))
    pipeline.enqueue(try request(2))
    _ = try #require(pipeline.takeReady())
    #expect(pipeline.cancelQueued(.int(1)), "the request in hand was not found")
    #expect(pipeline.finishedOne() == .int(1))
    // The next one was not cancelled, and nothing carries over.
    _ = try #require(pipeline.takeReady())
    #expect(pipeline.finishedOne() == nil)
    #expect(!pipeline.cancelQueued(.int(1)))
  }

  @Test("a cancel for a queued request turns it into a cancelled item")
  func cancelQueued() throws {
    let pipeline = InputPipeline()
    pipeline.enqueue(.parsing(id: .int(7)))
    pipeline.enqueue(try request(8))
    #expect(pipeline.cancelQueued(.int(8)))
    #expect(pipeline.takeReady() == nil, "a message still being parsed holds back the ones after it")
  }

  @Test("a cancel for an id not yet readable waits for the message being parsed, and only for it")
  func cancelWhileParsingUnknownID() throws {
    let pipeline = InputPipeline()
    #expect(!pipeline.cancelWhenParsed(.int(3)), "kept although nothing is being parsed")
    let ticket = pipeline.enqueue(.parsing(id: nil))
    #expect(!pipeline.cancelQueued(.int(3)))
    #expect(pipeline.cancelWhenParsed(.int(3)))
    pipeline.complete(ticket, with: try request(3))
    guard case .cancelled(.int(3))? = pipeline.takeReady() else {
      Issue.record("the request was not cancelled")
      return
    }
    #expect(pipeline.finishedOne() == nil)
    // The cancel was used up: a later request with the same id runs.
    pipeline.enqueue(try request(3))
    guard case .decoded? = pipeline.takeReady() else {
      Issue.record("a later request with the same id was cancelled too")
      return
    }
  }
}
