import Foundation
import JSON
import JSONRPC
import Signals
import Synchronization

/// The release `flowrunner` binary as a child process, with a reader thread that only splits
/// frames and counts them (parsing JSON only where a benchmark asks), so the client side stays
/// far below the engine's cost.
final class BenchmarkPeer: Sendable {
  let process: Process
  private let input: FileHandle
  private let counter = Locked<(frames: Int, lastBody: [UInt8])>((0, []))
  private let terminalSeen = Atomic<Int>(0)
  /// Set once the reader has seen the end of the engine's output.
  private let outputEnded = Atomic<Bool>(false)
  /// Run ids from `execution.start` answers, by request id.
  let answers = Locked<[Int: String]>([:])
  private static let answerPrefix = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
  private let startedAt = Locked<ContinuousClock.Instant?>(nil)
  private static let startedPrefix = Array(#"{"jsonrpc":"2.0","method":"execution.started""#.utf8)
  /// Bodies that start with this prefix count as a run's end.
  private static let terminalPrefix = Array(#"{"jsonrpc":"2.0","method":"execution.c"#.utf8)
  /// A body prefix to watch for, and when it first arrived.
  private let watched = Locked<(prefix: [UInt8], arrived: ContinuousClock.Instant?)>(([], nil))

  init(binary: String, arguments: [String] = ["serve", "--log-level", "error"], environment: [String: String] = [:]) throws {
    process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    let stdinPipe = Pipe()
    let stdoutPipe = Pipe()
    process.standardInput = stdinPipe
    process.standardOutput = stdoutPipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    input = stdinPipe.fileHandleForWriting
    let fd = stdoutPipe.fileHandleForReading.fileDescriptor
    let thread = Thread { [self] in
      readFrames(from: fd) { events in
        let watchedPrefix = watched.withLock { $0.arrived == nil ? $0.prefix : [] }
        if !watchedPrefix.isEmpty {
          for event in events {
            if case .message(let body) = event, body.starts(with: watchedPrefix) {
              let now = ContinuousClock.now
              watched.withLock { $0.arrived = now }
              break
            }
          }
        }
        for event in events {
          if case .message(let body) = event, body.starts(with: Self.startedPrefix) {
            let now = ContinuousClock.now
            startedAt.withLock { if $0 == nil { $0 = now } }
          }
          guard case .message(let body) = event, body.count > Self.terminalPrefix.count,
            body.starts(with: Self.terminalPrefix)
          else { continue }
          terminalSeen.add(1, ordering: .relaxed)
        }
        for event in events {
          guard case .message(let body) = event, body.starts(with: Self.answerPrefix),
            let json = try? JSONParser.parse(body), let id = json["id"]?.intValue,
            let runID = json["result"]?["run_id"]?.stringValue
          else { continue }
          answers.withLock { $0[id] = runID }
        }
        if let last = events.last, case .message(let body) = last {
          let added = events.count
          counter.withLock { $0 = ($0.frames + added, body) }
        }
      }
      outputEnded.store(true, ordering: .releasing)
    }
    thread.start()
  }

  /// Starts `binary` and waits for its answer to `initialize`.
  static func initialized(binary: String, settings: JSONValue = [:]) throws -> BenchmarkPeer {
    let peer = try BenchmarkPeer(binary: binary)
    peer.send(frame(JSONValue.object(["jsonrpc": "2.0", "id": 0, "method": "initialize", "params": settings]).description))
    try peer.waitForFrames(1)
    return peer
  }

  var frames: Int { counter.withLock { $0.frames } }
  /// The number of `execution.completed` / `execution.cancelled` notifications seen.
  var terminals: Int { terminalSeen.load(ordering: .relaxed) }

  /// Spins until the reader has read the engine's output to its end (the engine has exited
  /// and everything it wrote has been counted).
  func waitForEndOfOutput(timeout: Duration = .seconds(10)) throws {
    let deadline = ContinuousClock.now + timeout
    while !outputEnded.load(ordering: .acquiring) {
      if ContinuousClock.now > deadline { throw BenchmarkError("the engine's output did not end") }
      usleep(20)
    }
  }

  /// Spins until `count` run terminals have arrived.
  func waitForTerminals(_ count: Int, timeout: Duration = .seconds(120)) throws {
    let deadline = ContinuousClock.now + timeout
    while terminals < count {
      if ContinuousClock.now > deadline { throw BenchmarkError("only \(terminals) of \(count) runs ended") }
      usleep(20)
    }
  }

  /// Starts watching for a message whose body begins with `prefix`.
  func watch(for prefix: String) {
    watched.withLock { $0 = (Array(prefix.utf8), nil) }
  }

  /// Spins until the watched message has arrived and returns when it did.
  func waitForWatched(timeout: Duration = .seconds(60)) throws -> ContinuousClock.Instant {
    let deadline = ContinuousClock.now + timeout
    while true {
      if let arrived = watched.withLock({ $0.arrived }) { return arrived }
      if ContinuousClock.now > deadline { throw BenchmarkError("the watched message did not arrive") }
      usleep(20)
    }
  }

  /// When the first `execution.started` arrived.
  var firstStarted: ContinuousClock.Instant? { startedAt.withLock { $0 } }

  /// The peak resident set size of the child, in KiB.
  var peakResidentKiB: Int { statusField("VmHWM:") }
  var lastBody: [UInt8] { counter.withLock { $0.lastBody } }

  func send(_ bytes: [UInt8]) {
    input.write(Data(bytes))
  }

  /// Spins until `count` frames have arrived in total.
  func waitForFrames(_ count: Int, timeout: Duration = .seconds(60)) throws {
    let deadline = ContinuousClock.now + timeout
    while frames < count {
      if ContinuousClock.now > deadline { throw BenchmarkError("only \(frames) of \(count) frames arrived") }
      usleep(50)
    }
  }

  func stop() {
    try? input.close()
    process.waitUntilExit()
  }

  /// The resident set size of the child, in KiB.
  var residentKiB: Int { statusField("VmRSS:") }

  private func statusField(_ name: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else {
      return -1
    }
    let line = status.split(separator: "\n").first { $0.hasPrefix(name) }
    return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? -1
  }
}

struct BenchmarkError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

func frame(_ body: String) -> [UInt8] {
  Framing.lsp.frame(Array(body.utf8))
}

/// Reads `fd` until end of file in 1 MiB chunks, splitting LSP frames; `body` gets each
/// chunk's frames (possibly none).
func readFrames(from fd: Int32, _ body: ([FrameEvent]) -> Void) {
  var parser = LSPFrameParser(maximumMessageBytes: Int.max)
  var events: [FrameEvent] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 20)
  while true {
    let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if count <= 0 { break }
    chunk.withUnsafeBufferPointer { parser.feed(UnsafeBufferPointer(rebasing: $0[0..<count]), into: &events) }
    body(events)
    events.removeAll(keepingCapacity: true)
  }
}
