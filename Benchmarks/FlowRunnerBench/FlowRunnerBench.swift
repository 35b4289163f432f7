import Foundation
import JSON
import JSONRPC

/// Runs the engine benchmarks against a release `flowrunner` binary and prints a Markdown table.
///
/// Usage: flowrunner-bench [path/to/flowrunner]   (default: the flowrunner next to this executable)
@main
enum FlowRunnerBench {
  static func main() async throws {
    var arguments = CommandLine.arguments.dropFirst().filter { $0.hasSuffix("flowrunner") }
    if let position = CommandLine.arguments.firstIndex(of: "--versus"), CommandLine.arguments.count > position + 1 {
      arguments.removeAll { $0 == CommandLine.arguments[position + 1] }
    }
    let binary =
      arguments.first
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flowrunner").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      throw BenchmarkError("no flowrunner binary at \(binary); build it with 'swift build -c release'")
    }
    var results: [Measurement] = []
    if let position = CommandLine.arguments.firstIndex(of: "--write-dag"), CommandLine.arguments.count > position + 2 {
      // Writes the benchmark DAG as a flow file, for profiling with `flowrunner run`.
      let count = Int(CommandLine.arguments[position + 1]) ?? 10_000
      let flow = GraphBenchmarks.dag(nodes: count)
      try Data(JSONSerializer.serialize(flow)).write(to: URL(fileURLWithPath: CommandLine.arguments[position + 2]))
      return
    }
    if CommandLine.arguments.contains("--phases-only") {
      for _ in 0..<5 { results += try await PhaseBenchmarks.measure(nodes: 10_000) }
      printTable(results)
      return
    }
    if CommandLine.arguments.contains("--providers-only") {
      results += try await ProviderBenchmarks.makespan(binary: binary)
      results += try await ProviderBenchmarks.cancelLatency(binary: binary)
      results += try await ProviderBenchmarks.manyRuns(binary: binary)
      results += try await CacheBenchmarks.hitLatency(binary: binary)
      printTable(results)
      return
    }
    if CommandLine.arguments.contains("--cache-only") {
      results += try await CacheBenchmarks.hitLatency(binary: binary)
      printTable(results)
      return
    }
    if CommandLine.arguments.contains("--quotas-only") {
      results += try PersistenceBenchmarks.quotaOverhead(binary: binary, nodes: 10_000, pairs: 15)
      results += try await ProviderBenchmarks.makespan(binary: binary)
      results += try await ProviderBenchmarks.makespan(binary: binary, quotas: true)
      printTable(results)
      return
    }
    if CommandLine.arguments.contains("--journal-only") {
      printTable(try PersistenceBenchmarks.journalOverhead(binary: binary, nodes: 10_000, pairs: 15))
      return
    }
    if CommandLine.arguments.contains("--persistence-only") {
      results += try PersistenceBenchmarks.journalOverhead(binary: binary, nodes: 10_000, pairs: 15)
      results += try await PersistenceBenchmarks.sqliteHitLatency(binary: binary)
      results += try PersistenceBenchmarks.largeCacheFile(binary: binary, entries: 100_000)
      printTable(results)
      return
    }
    if CommandLine.arguments.contains("--responsiveness-only") {
      results += try ResponsivenessBenchmarks.pingBehindLargeValidate(binary: binary, repetitions: 5)
      results += try ResponsivenessBenchmarks.sigtermExit(binary: binary, repetitions: 5)
      results += try await NetworkFailureBenchmarks.refusedAttempt(repetitions: 21)
      printTable(results)
      return
    }
    if let position = CommandLine.arguments.firstIndex(of: "--versus"), CommandLine.arguments.count > position + 1 {
      // The DAG benchmark against another build of flowrunner, in alternating pairs.
      let other = CommandLine.arguments[position + 1]
      printTable(try GraphBenchmarks.versus(binary: binary, other: other, nodes: 10_000, pairs: 21))
      return
    }
    if CommandLine.arguments.contains("--dag-only") {
      printTable(try GraphBenchmarks.execute(binary: binary, nodes: 10_000, repetitions: 9))
      return
    }
    if CommandLine.arguments.contains("--graph-only") {
      results += try GraphBenchmarks.execute(binary: binary, nodes: 10_000, repetitions: 9)
      results.append(try GraphBenchmarks.validate(binary: binary, nodes: 100_000, repetitions: 3))
      results.append(GraphBenchmarks.readerFloor(nodes: 10_000))
      results += try await PhaseBenchmarks.measure(nodes: 10_000)
      printTable(results)
      return
    }
    results.append(Benchmarks.readerFloor(count: 1_000_000))
    for _ in 0..<3 { results.append(try Benchmarks.pingThroughput(binary: binary, count: 200_000)) }
    for _ in 0..<3 { results.append(try Benchmarks.notificationBurst(count: 100_000)) }
    results += try Benchmarks.spawnToInitialize(binary: binary, runs: 41)
    results.append(try Benchmarks.idleResidentMemory(binary: binary))
    results += try GraphBenchmarks.execute(binary: binary, nodes: 10_000, repetitions: 9)
    results.append(try GraphBenchmarks.validate(binary: binary, nodes: 100_000, repetitions: 3))
    results.append(GraphBenchmarks.readerFloor(nodes: 10_000))
    results += try await PhaseBenchmarks.measure(nodes: 10_000)
    results += try ResponsivenessBenchmarks.pingBehindLargeValidate(binary: binary, repetitions: 5)
    results += try ResponsivenessBenchmarks.sigtermExit(binary: binary, repetitions: 5)
    results += try await NetworkFailureBenchmarks.refusedAttempt(repetitions: 21)
    results += try await ProviderBenchmarks.makespan(binary: binary)
    results += try await ProviderBenchmarks.cancelLatency(binary: binary)
    results += try await ProviderBenchmarks.manyRuns(binary: binary)
    results += try await CacheBenchmarks.hitLatency(binary: binary)
    results += try PersistenceBenchmarks.journalOverhead(binary: binary, nodes: 10_000, pairs: 15)
    results += try await PersistenceBenchmarks.sqliteHitLatency(binary: binary)
    results += try PersistenceBenchmarks.largeCacheFile(binary: binary, entries: 100_000)
    results += try PersistenceBenchmarks.quotaOverhead(binary: binary, nodes: 10_000, pairs: 15)
    results += try await ProviderBenchmarks.makespan(binary: binary, quotas: true)
    printTable(results)
  }

  static func printTable(_ results: [Measurement]) {
    print("| benchmark | value | target |")
    print("|---|---|---|")
    for result in results {
      let value = result.value >= 1000 ? String(Int(result.value.rounded())) : String(format: "%.2f", result.value)
      print("| \(result.name) | \(value) \(result.unit) | \(result.target) |")
    }
  }
}
