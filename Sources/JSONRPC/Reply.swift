import JSON
import Signals

/// The one response a request is owed.
///
/// Whatever answers first wins: the handler's result, its error, or a `$/cancelRequest`
/// (answered `-32800`); later answers are dropped. Work started with ``run(_:)`` is a Task that
/// a cancel cancels, so cancellation reaches everything the handler awaits.
public final class Reply: Sendable {
  /// The request's id.
  public let id: RequestID
  /// The request's method, for logs.
  public let method: String

  private struct State {
    var answered = false
    var delivered = false
    var cancelled = false
    var task: Task<Void, Never>?
    var afterDelivery: [@Sendable () -> Void] = []
  }

  private let state = Locked(State())
  private let deliver: @Sendable (Reply, [UInt8]) -> Void

  /// A reply whose serialized response goes to `deliver`, which must call ``markDelivered()``
  /// once the bytes are queued for output.
  init(id: RequestID, method: String, deliver: @escaping @Sendable (Reply, [UInt8]) -> Void) {
    self.id = id
    self.method = method
    self.deliver = deliver
  }

  /// Whether a response has been sent (or the request was cancelled).
  public var isAnswered: Bool { state.withLock { $0.answered } }

  /// Answers with a result; returns false when the request had already been answered (or
  /// cancelled), in which case nothing is sent.
  @discardableResult
  public func succeed(_ result: JSONValue) -> Bool {
    answer { OutgoingMessage.response(id: id, result: result) }
  }

  /// Answers with an error (unless already answered).
  public func fail(_ error: ResponseError) {
    answer { OutgoingMessage.response(id: id, error: error) }
  }

  /// Answers with a result or an error.
  public func complete(_ result: Result<JSONValue, ResponseError>) {
    switch result {
    case .success(let value): succeed(value)
    case .failure(let error): fail(error)
    }
  }

  @discardableResult
  private func answer(_ body: () -> [UInt8]) -> Bool {
    let first = state.withLock { state -> Bool in
      guard !state.answered else { return false }
      state.answered = true
      state.task = nil
      return true
    }
    guard first else { return false }
    deliver(self, body())
    return true
  }

  /// Runs asynchronous work for this request in a Task and answers with its outcome:
  /// the returned value, a thrown ``ResponseError``, `-32800` when cancelled, and `-32603` for
  /// any other error.
  public func run(_ body: @escaping @Sendable () async throws -> JSONValue) {
    let task = Task { [self] in
      do {
        let result = try await body()
        succeed(result)
      } catch let error as ResponseError {
        fail(error)
      } catch is CancellationError {
        fail(.requestCancelled)
      } catch {
        fail(.internalError("'\(method)' failed: \(error)"))
      }
    }
    let cancelNow = state.withLock { state -> Bool in
      if state.cancelled { return true }
      if !state.answered { state.task = task }
      return false
    }
    if cancelNow { task.cancel() }
  }

  /// Runs work for this request in a Task that `$/cancelRequest` cancels, leaving the answer to
  /// `body` (which must give one); a thrown ``ResponseError`` is the answer, a cancellation
  /// `-32800`.
  public func perform(_ body: @escaping @Sendable (Reply) async throws(ResponseError) -> Void) {
    let task = Task { [self] in
      do throws(ResponseError) {
        try await body(self)
      } catch {
        fail(Task.isCancelled ? .requestCancelled : error)
      }
    }
    let cancelNow = state.withLock { state -> Bool in
      if state.cancelled { return true }
      if !state.answered { state.task = task }
      return false
    }
    if cancelNow { task.cancel() }
  }

  /// Answers `-32800` (unless already answered) and cancels the work started by ``run(_:)``.
  public func cancel() {
    let task = state.withLock { state -> Task<Void, Never>? in
      state.cancelled = true
      return state.task
    }
    fail(.requestCancelled)
    task?.cancel()
  }

  /// Runs `action` once this reply's response is queued for output (at once if it already is),
  /// so that anything the action sends is written after the response.
  public func afterDelivery(_ action: @escaping @Sendable () -> Void) {
    let runNow = state.withLock { state -> Bool in
      if state.delivered { return true }
      state.afterDelivery.append(action)
      return false
    }
    if runNow { action() }
  }

  /// Called by whoever queued the response bytes.
  func markDelivered() {
    let actions = state.withLock { state -> [@Sendable () -> Void] in
      state.delivered = true
      defer { state.afterDelivery = [] }
      return state.afterDelivery
    }
    for action in actions { action() }
  }
}

/// Collects the responses of one batch and writes them as one array once all have answered.
final class BatchCollector: Sendable {
  private struct State {
    var slots: [[UInt8]?]
    var remaining: Int
    var replies: [Reply] = []
  }

  private let state: Locked<State>
  private let writer: OutputWriter

  init(count: Int, writer: OutputWriter) {
    self.state = Locked(State(slots: Array(repeating: nil, count: count), remaining: count))
    self.writer = writer
  }

  func register(_ reply: Reply) {
    state.withLock { $0.replies.append(reply) }
  }

  func fill(_ slot: Int, with body: [UInt8]) {
    let finished = state.withLock { state -> (bodies: [[UInt8]], replies: [Reply])? in
      guard state.slots[slot] == nil else { return nil }
      state.slots[slot] = body
      state.remaining -= 1
      guard state.remaining == 0 else { return nil }
      // Let go of the replies and bodies: each reply's delivery holds this collector, so
      // keeping them would keep the whole batch alive for the life of the connection.
      defer {
        state.slots = []
        state.replies = []
      }
      return (state.slots.compactMap { $0 }, state.replies)
    }
    guard let finished else { return }
    var array: [UInt8] = [UInt8(ascii: "[")]
    for (position, body) in finished.bodies.enumerated() {
      if position > 0 { array.append(UInt8(ascii: ",")) }
      array.append(contentsOf: body)
    }
    array.append(UInt8(ascii: "]"))
    writer.enqueue(array)
    for reply in finished.replies { reply.markDelivered() }
  }
}
