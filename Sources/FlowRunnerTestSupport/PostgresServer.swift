import Foundation

/// A private PostgreSQL server for one test: a fresh cluster (`initdb`) in a temporary
/// directory, listening on a free loopback port with trust authentication, started and
/// stopped with `pg_ctl` (as the `postgres` user when the tests run as root, since PostgreSQL
/// refuses to run as root). Tests that need one are enabled only when the binaries are found
/// (Debian's `postgresql` package; `.ci/run` installs it).
public final class PostgresServer: Sendable {
  /// The directory with `initdb`, `pg_ctl` and `postgres`, if PostgreSQL is installed.
  public static let binaries: String? = {
    var candidates: [String] = []
    if let directory = ProcessInfo.processInfo.environment["FLOWRUNNER_POSTGRES_BIN"] { candidates.append(directory) }
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
    candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
    candidates += ["/usr/local/bin", "/usr/bin"]
    return candidates.first { directory in
      ["initdb", "pg_ctl", "postgres"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)")
      }
    }
  }()

  /// Why PostgreSQL tests are skipped, for their trait.
  public static let skipReason =
    "PostgreSQL is not installed (apt-get install postgresql); the shared-state tests need it"

  /// The server's port on 127.0.0.1.
  public let port: Int
  /// The cluster's directory.
  public let directory: String

  /// A URL an engine reaches the server with.
  public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres?sslmode=disable" }

  private init(port: Int, directory: String) {
    self.port = port
    self.directory = directory
  }

  /// Makes a cluster and starts it.
  public static func start() async throws -> PostgresServer {
    guard binaries != nil else { throw PeerError.setup("PostgreSQL binaries not found") }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flowrunner-pg-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    if getuid() == 0 {
      guard await run("/bin/chown", ["postgres:postgres", directory]) == 0 else {
        throw PeerError.setup("cannot give \(directory) to the postgres user")
      }
    }
    let server = PostgresServer(port: try freePort(), directory: directory)
    let initialized = await server.tool(
      "initdb", ["-D", "\(directory)/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
    guard initialized == 0 else { throw PeerError.setup("initdb failed (\(initialized))") }
    try await server.resume()
    return server
  }

  /// Starts the server (again, after ``stop()``) on the same port and data.
  public func resume() async throws {
    let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c track_functions=all"
    let code = await tool("pg_ctl", ["-D", "\(directory)/data", "-o", options, "-l", "\(directory)/log", "-w", "start"])
    guard code == 0 else { throw PeerError.setup("pg_ctl start failed (\(code))") }
  }

  /// The rows `sql` returns, as `psql -tA` prints them (`nil` when psql fails).
  public func query(_ sql: String) async -> String? {
    guard let binaries = Self.binaries, FileManager.default.isExecutableFile(atPath: "\(binaries)/psql") else {
      return nil
    }
    guard let output = try? makeCloseOnExecPipe() else { return nil }
    let null = open("/dev/null", O_RDWR)
    defer { close(null) }
    let process = try? ChildProcess(
      executable: "\(binaries)/psql",
      arguments: ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-tAc", sql],
      environment: ProcessInfo.processInfo.environment, standardInput: null, standardOutput: output[1], standardError: null)
    close(output[1])
    defer { close(output[0]) }
    guard let process, await process.waitForExit(timeout: .seconds(30)) == 0 else { return nil }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = read(output[0], &buffer, buffer.count)
      guard count > 0 else { break }
      bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Stops the server at once (fast shutdown: sessions are ended).
  public func stop() async {
    _ = await tool("pg_ctl", ["-D", "\(directory)/data", "-m", "fast", "-w", "stop"])
  }

  /// Stops the server and removes its cluster.
  public func remove() async {
    await stop()
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Runs one of PostgreSQL's programs, as the `postgres` user when this process is root.
  private func tool(_ name: String, _ arguments: [String]) async -> Int32 {
    guard let binaries = Self.binaries else { return -1 }
    if getuid() == 0 {
      return await Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(name)"] + arguments)
    }
    return await Self.run("\(binaries)/\(name)", arguments)
  }

  private static func run(_ executable: String, _ arguments: [String]) async -> Int32 {
    let null = open("/dev/null", O_RDWR)
    defer { close(null) }
    guard
      let process = try? ChildProcess(
        executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment,
        standardInput: null, standardOutput: null, standardError: null)
    else { return -1 }
    return await process.waitForExit(timeout: .seconds(60)) ?? -1
  }

  /// A loopback port no one listens on now.
  private static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw PeerError.setup("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
        bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
      }
    }
    guard bound else { throw PeerError.setup("bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}
