import FlowExecution
import JSONRPC

/// Sends run events to the client as notifications: one framed buffer per batch, queued at once.
struct ConnectionEventSink: RunNotificationSink {
  let connection: Connection

  func send(runID: String, _ events: [SequencedEvent]) {
    var framed: [UInt8] = []
    framed.reserveCapacity(events.count * 160)
    RunEventEncoder.appendFramed(runID: runID, events, framing: connection.writer.framing, to: &framed)
    connection.writer.enqueueFramed(framed)
  }
}
