/// The receiving side of a ``Connection``.
///
/// The connection calls these methods on its reader thread, one at a time, in the order the
/// messages arrived, so a handler can make ordering decisions (lifecycle state, registering a
/// run) synchronously. Anything slow belongs in ``Reply/run(_:)`` or a Task of its own.
public protocol MessageHandler: Sendable {
  /// A request; answer it through `reply`, now or later.
  func handle(_ request: Request, reply: Reply)
  /// A notification other than `$/cancelRequest`, which the connection handles itself.
  func handle(_ notification: Notification)
  /// The input reached end of file (or failed); no more messages will come.
  func inputClosed()
}
