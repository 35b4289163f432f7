import Foundation

/// A provider's limits: at most `maxConcurrency` requests in flight and, optionally, at most
/// `requestsPerMinute` started in any 60 s. Waiting for a slot is cancellable.
public actor RequestLimiter {
  private let maxConcurrency: Int
  private let requestsPerMinute: Int?
  private var inFlight = 0
  private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
  private var nextWaiterID: UInt64 = 0
  private var recentStarts: [Date] = []
  private let window: Double
  /// Requests waiting for the rate window, and those told when a request starts to wait.
  private var rateWaiting = 0
  private var waitWatchers: [CheckedContinuation<Void, Never>] = []

  /// Limits for one provider; `window` is the rate window in seconds (60 for per-minute limits).
  public init(maxConcurrency: Int, requestsPerMinute: Int?, window: Double = 60) {
    self.maxConcurrency = max(1, maxConcurrency)
    self.requestsPerMinute = requestsPerMinute
    self.window = window
  }

  /// Runs `body` inside a slot.
  public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    try await acquire()
    defer { release() }
    return try await body()
  }

  /// Returns once a request is waiting, for a slot or for the rate window.
  func untilARequestWaits() async {
    guard rateWaiting == 0, waiters.isEmpty else { return }
    await withCheckedContinuation { waitWatchers.append($0) }
  }

  private func beganWaiting() {
    for watcher in waitWatchers { watcher.resume() }
    waitWatchers.removeAll()
  }

  func acquire() async throws {
    while inFlight >= maxConcurrency {
      try Task.checkCancellation()
      let id = nextWaiterID
      nextWaiterID += 1
      try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
          if Task.isCancelled {
            continuation.resume(throwing: CancellationError())
          } else {
            waiters.append((id, continuation))
            beganWaiting()
          }
        }
      } onCancel: {
        Task { await self.cancelWaiter(id) }
      }
    }
    inFlight += 1
    if let rpm = requestsPerMinute {
      while true {
        let now = Date()
        recentStarts.removeAll { now.timeIntervalSince($0) >= window }
        if recentStarts.count < rpm { break }
        let wait = window - now.timeIntervalSince(recentStarts[0])
        rateWaiting += 1
        beganWaiting()
        defer { rateWaiting -= 1 }
        do {
          try await Task.sleep(for: .milliseconds(Int64(max(wait, 0.001) * 1000)))
        } catch {
          release()
          throw error
        }
      }
      recentStarts.append(Date())
    }
  }

  func release() {
    inFlight -= 1
    if !waiters.isEmpty { waiters.removeFirst().continuation.resume() }
  }

  private func cancelWaiter(_ id: UInt64) {
    guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
    waiters.remove(at: index).continuation.resume(throwing: CancellationError())
  }
}
