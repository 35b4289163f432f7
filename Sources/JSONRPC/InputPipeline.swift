import JSON
import Signals

/// The messages read but not yet handed to the handler, in arrival order.
///
/// A large message is parsed on a background task while the reader goes on; everything read
/// after it waits here until it is ready, so the handler still sees messages in arrival order.
/// One caller at a time takes ready messages (``takeReady()`` … ``finishedOne()``); a message
/// whose request was cancelled while it waited comes out as ``Item/cancelled(_:)``.
final class InputPipeline: Sendable {
  /// One queued message.
  enum Item: Sendable {
    /// Still being parsed; `id` is the request id read from its first bytes, if any.
    case parsing(id: RequestID?)
    /// Read: a message (its params still bytes) or a batch.
    case decoded(DecodedBody)
    /// Not valid JSON.
    case malformed(String)
    /// A request cancelled before it was handled: answer `-32800`.
    case cancelled(RequestID)
    /// The input has ended.
    case endOfInput
  }

  /// Identifies a queued message, for ``complete(_:with:)``.
  struct Ticket: Sendable {
    fileprivate let serial: Int
  }

  private struct State {
    var items: [(serial: Int, item: Item)] = []
    var head = 0
    var nextSerial = 0
    /// Whether a caller has taken an item and not finished it.
    var busy = false
    /// The id of the request being handed over, while it is.
    var inHand: RequestID?
    /// Whether that request was cancelled during the hand-over.
    var inHandCancelled = false
    /// Cancels for ids found nowhere while a message whose id could not be read early (it
    /// comes after 4 KiB of params) was still being parsed: applied when that parse ends.
    var unmatchedCancels: Set<RequestID> = []

    /// Whether a queued message is still being parsed without a known id.
    var parsingUnknownID: Bool {
      items[head...].contains {
        if case .parsing(id: nil) = $0.item { return true }
        return false
      }
    }
  }

  private let state = Locked(State())

  /// Whether nothing waits and nothing is being handed over: a new message may go straight
  /// to the handler.
  var isEmpty: Bool { state.withLock { $0.head == $0.items.count && !$0.busy } }

  /// Queues a message.
  @discardableResult
  func enqueue(_ item: Item) -> Ticket {
    state.withLock { state in
      defer { state.nextSerial += 1 }
      state.items.append((state.nextSerial, item))
      return Ticket(serial: state.nextSerial)
    }
  }

  /// Replaces a message that was being parsed; a cancelled one stays cancelled.
  func complete(_ ticket: Ticket, with item: Item) {
    state.withLock { state in
      guard let position = state.items[state.head...].firstIndex(where: { $0.serial == ticket.serial }) else { return }
      if case .cancelled = state.items[position].item { return }
      state.items[position].item = item
      if case .decoded(.message(.request(let request))) = item, state.unmatchedCancels.remove(request.id) != nil {
        state.items[position].item = .cancelled(request.id)
      }
      if !state.unmatchedCancels.isEmpty, !state.parsingUnknownID { state.unmatchedCancels.removeAll() }
    }
  }

  /// Takes the next message if it is ready and nobody else is handing one over.
  func takeReady() -> Item? {
    state.withLock { state in
      guard !state.busy, state.head < state.items.count else { return nil }
      if case .parsing = state.items[state.head].item { return nil }
      let item = state.items[state.head].item
      state.head += 1
      state.busy = true
      if case .decoded(.message(.request(let request))) = item { state.inHand = request.id }
      if state.head == state.items.count {
        state.items.removeAll(keepingCapacity: true)
        state.head = 0
      }
      return item
    }
  }

  /// Ends the hand-over started by ``takeReady()``. Returns the request's id when a cancel for
  /// it arrived during the hand-over: it is handled by now, and the caller cancels it there.
  func finishedOne() -> RequestID? {
    state.withLock { state in
      defer {
        state.busy = false
        state.inHand = nil
        state.inHandCancelled = false
      }
      return state.inHandCancelled ? state.inHand : nil
    }
  }

  /// Marks a queued request with this id as cancelled, or the one being handed over; returns
  /// whether one was found.
  func cancelQueued(_ id: RequestID) -> Bool {
    state.withLock { state in
      if state.inHand == id {
        state.inHandCancelled = true
        return true
      }
      for position in state.head..<state.items.count {
        switch state.items[position].item {
        case .parsing(let queued?) where queued == id:
          state.items[position].item = .cancelled(id)
          return true
        case .decoded(.message(.request(let request))) where request.id == id:
          state.items[position].item = .cancelled(id)
          return true
        default:
          continue
        }
      }
      return false
    }
  }

  /// Keeps a cancel that matched nothing, for a message still being parsed whose id could not
  /// be read early; returns whether there is such a message (else the cancel is dropped).
  func cancelWhenParsed(_ id: RequestID) -> Bool {
    state.withLock { state in
      guard state.parsingUnknownID else { return false }
      state.unmatchedCancels.insert(id)
      return true
    }
  }

  /// Drops every queued message but the end of input.
  func discardQueued() {
    state.withLock { state in
      let ended = state.items[state.head...].contains {
        if case .endOfInput = $0.item { return true }
        return false
      }
      state.items.removeAll()
      state.head = 0
      if ended {
        state.items.append((state.nextSerial, .endOfInput))
        state.nextSerial += 1
      }
    }
  }
}
