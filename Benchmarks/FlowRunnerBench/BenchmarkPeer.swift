import Foundation
import JSONRPC
import Synchronization

/// The release `flowrunner` binary as a child process, with a reader thread that only splits
/// frames and counts them (parsing JSON only where a benchmark asks), so the client side stays
/// far below the engine's cost.
final class BenchmarkPeer: Sendable {
  let process: Process
  private let input: FileHandle
  private let counter = Mutex<(frames: Int, lastBody: [UInt8])>((0, []))

  init(binary: String, arguments: [String] = ["serve", "--log-level", "error"]) throws {
    process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let stdinPipe = Pipe()
    let stdoutPipe = Pipe()
    process.standardInput = stdinPipe
    process.standardOutput = stdoutPipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    input = stdinPipe.fileHandleForWriting
    let fd = stdoutPipe.fileHandleForReading.fileDescriptor
    let thread = Thread { [self] in
      var decoder = LSPFrameParser(maximumMessageBytes: Int.max)
      var events: [FrameEvent] = []
      var chunk = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        chunk.withUnsafeBufferPointer { decoder.feed(UnsafeBufferPointer(rebasing: $0[0..<count]), into: &events) }
        if let last = events.last, case .message(let body) = last {
          let added = events.count
          counter.withLock { $0 = ($0.frames + added, body) }
        }
        events.removeAll(keepingCapacity: true)
      }
    }
    thread.start()
  }

  var frames: Int { counter.withLock { $0.frames } }
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
  var residentKiB: Int {
    guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else {
      return -1
    }
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
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
