// swift-tools-version:6.0
import PackageDescription

/// Settings every target shares: Swift 6 language mode plus the upcoming features we rely on.
let strictSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let log: Target.Dependency = .product(name: "Logging", package: "swift-log")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")

let package = Package(
  name: "flowrunner",
  products: [
    .executable(name: "flowrunner", targets: ["flowrunner"]),
    .library(name: "JSON", targets: ["JSON"]),
    .library(name: "JSONRPC", targets: ["JSONRPC"]),
    .library(name: "FlowRunnerServer", targets: ["FlowRunnerServer"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
  ],
  targets: [
    // Wire layer: the JSON value with its parser and serializer, then the JSON-RPC transport.
    .target(name: "JSON"),
    .target(name: "Signals", dependencies: [.product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
    .target(name: "JSONRPC", dependencies: ["JSON", "Signals", log]),

    // Domain: no protocol types.
    .target(name: "FlowGraph", dependencies: ["JSON"]),
    .target(
      name: "FlowProviders",
      dependencies: [
        "JSON", "Signals", "FlowImages", .product(name: "AsyncHTTPClient", package: "async-http-client"), nioCore,
        nioHTTP1, .product(name: "NIOPosix", package: "swift-nio"), log,
      ]
    ),
    .target(
      name: "FlowExecution",
      dependencies: [
        "JSON", "Signals", "FlowGraph", "FlowProviders", "FlowImages", .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(name: "FlowNodes", dependencies: ["JSON", "FlowGraph", "FlowProviders", "FlowExecution", "FlowImages"]),
    // Images: libjpeg-turbo and libpng from the system, a C layer that turns their errors into
    // return codes, and the Swift processing on top.
    .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),
    .target(name: "FlowImages", dependencies: ["CImageCodecs", .product(name: "Crypto", package: "swift-crypto")]),
    .target(
      name: "FlowPersistence",
      dependencies: [
        "FlowExecution", "Signals", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "PostgresNIO", package: "postgres-nio"), nioCore, log,
      ]
    ),

    // The server: the one wire codec, methods and the lifecycle root.
    .target(
      name: "FlowRunnerServer",
      dependencies: [
        "JSON", "JSONRPC", "Signals", "FlowGraph", "FlowExecution", "FlowProviders", "FlowNodes", "FlowPersistence",
        "FlowImages", log,
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ]
    ),
    .executableTarget(
      name: "flowrunner",
      dependencies: [
        "FlowRunnerServer", "JSON", "JSONRPC", "Signals", "FlowGraph", "FlowExecution", "FlowProviders", "FlowNodes",
        .product(name: "ArgumentParser", package: "swift-argument-parser"), log,
      ]
    ),

    // The fake provider server, its executable, benchmarks and test support.
    .target(
      name: "FakeProvider",
      dependencies: ["JSON", "Signals", "FlowImages", nioCore, .product(name: "NIOPosix", package: "swift-nio"), nioHTTP1]
    ),
    .executableTarget(
      name: "flowrunner-fake-provider",
      dependencies: ["FakeProvider", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .executableTarget(
      name: "flowrunner-bench",
      dependencies: [
        "JSON", "JSONRPC", "Signals", "FlowGraph", "FlowExecution", "FlowNodes", "FlowProviders", "FlowRunnerServer",
        "FakeProvider", "FlowPersistence", .product(name: "GRDB", package: "GRDB.swift"), log,
      ],
      path: "Benchmarks/FlowRunnerBench"
    ),
    .target(
      name: "FlowRunnerTestSupport",
      dependencies: ["JSON", "JSONRPC", "Signals", "FlowRunnerServer", "FlowGraph", "FlowExecution", log]
    ),

    .testTarget(name: "JSONRPCTests", dependencies: ["JSON", "JSONRPC", "Signals", "FlowRunnerTestSupport"]),
    .testTarget(
      name: "FlowProvidersTests",
      dependencies: ["JSON", "FlowProviders", "FakeProvider", "JSONRPC", "Signals", "FlowRunnerTestSupport", nioHTTP1]
    ),
    .testTarget(name: "FlowGraphTests", dependencies: ["JSON", "FlowGraph", "FlowNodes", "FlowRunnerTestSupport"]),
    .testTarget(
      name: "FlowExecutionTests",
      dependencies: [
        "JSON", "FlowExecution", "FlowGraph", "FlowNodes", "FlowProviders", "FlowRunnerServer", "JSONRPC", "Signals",
        "FlowRunnerTestSupport",
      ]
    ),
    .testTarget(
      name: "FlowRunnerServerTests",
      dependencies: [
        "JSON", "FlowRunnerServer", "FlowExecution", "FlowGraph", "FlowProviders", "JSONRPC", "FlowRunnerTestSupport",
      ]
    ),
    .testTarget(name: "FlowImagesTests", dependencies: ["FlowImages", "FakeProvider"]),
    .testTarget(
      name: "FlowPersistenceTests", dependencies: ["FlowPersistence", "FlowExecution", "FlowProviders", log]
    ),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "JSON", "JSONRPC", "FlowRunnerTestSupport", "FakeProvider", "FlowPersistence", "FlowImages", "flowrunner",
        .product(name: "GRDB", package: "GRDB.swift"),
      ]
    ),
  ]
)

// The libFuzzer target over params decoding and validation: built only by `Fuzz/run.sh params`,
// which links libFuzzer's driver (the target has its own `main`).
if Context.environment["FLOWRUNNER_FUZZ"] == "params" {
  package.targets.append(
    .executableTarget(
      name: "flowrunner-params-fuzz",
      dependencies: ["JSON", "JSONRPC", "FlowGraph", "FlowExecution", "FlowNodes", "FlowProviders", "FlowRunnerServer"],
      path: "Fuzz/ParamsFuzzer"
    )
  )
}

// The libFuzzer target over the image wrapper: built only by `Fuzz/run.sh images`.
if Context.environment["FLOWRUNNER_FUZZ"] == "images" {
  package.targets.append(
    .executableTarget(name: "flowrunner-images-fuzz", dependencies: ["FlowImages"], path: "Fuzz/ImageFuzzer")
  )
}

for target in package.targets where target.type != .system {
  target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
}
