#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Thin, EINTR-safe wrappers over blocking POSIX reads and writes.
///
/// The descriptors are never switched to non-blocking mode: they are shared with the parent
/// process, and `O_NONBLOCK` would change the parent's end of the pipe too. If a parent hands over
/// a descriptor that is already non-blocking, `EAGAIN` is handled by waiting in `poll`.
enum FileDescriptorIO {
  /// Reads up to `buffer.count` bytes; 0 means end of input, `nil` a read error.
  static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
    while true {
      let count = systemRead(fd, buffer.baseAddress, buffer.count)
      if count >= 0 { return count }
      switch errno {
      case EINTR: continue
      case EAGAIN, EWOULDBLOCK: waitUntilReady(fd, events: Int16(POLLIN))
      default: return nil
      }
    }
  }

  /// Writes every byte; returns the `errno` of a failed write, or `nil` on success.
  static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    guard let base = bytes.baseAddress else { return nil }  // nothing to write
    var offset = 0
    while offset < bytes.count {
      let count = systemWrite(fd, base + offset, bytes.count - offset)
      if count >= 0 {
        offset += count
        continue
      }
      switch errno {
      case EINTR: continue
      case EAGAIN, EWOULDBLOCK: waitUntilReady(fd, events: Int16(POLLOUT))
      case let failure: return failure
      }
    }
    return nil
  }

  private static func waitUntilReady(_ fd: Int32, events: Int16) {
    var descriptor = pollfd(fd: fd, events: events, revents: 0)
    _ = poll(&descriptor, 1, 1000)
  }

  private static func systemRead(_ fd: Int32, _ pointer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc) || canImport(Musl)
      Glibc.read(fd, pointer, count)
    #else
      Darwin.read(fd, pointer, count)
    #endif
  }

  private static func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc) || canImport(Musl)
      Glibc.write(fd, pointer, count)
    #else
      Darwin.write(fd, pointer, count)
    #endif
  }
}

/// Starts a detached OS thread: used for the blocking stdin reader and the stdout writer, which
/// must not occupy the cooperative thread pool that the async handlers run on.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) {
  final class Box: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
  let context = Unmanaged.passRetained(Box(body)).toOpaque()
  var thread = pthread_t()
  let result = pthread_create(
    &thread, nil,
    { raw in
      guard let raw else { return nil }
      let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
      box.body()
      return nil
    }, context)
  precondition(result == 0, "pthread_create failed with \(result)")
  pthread_detach(thread)
}
