// swift-tools-version: 6.1
import PackageDescription

import class Foundation.ProcessInfo

/// The DSP kernels are written over SIMD8<Float>; on x86-64 they are compiled for AVX2 and FMA
/// (every x86 server CPU since 2013, Fly.io's included) so a vector is one register and a
/// multiply-add one instruction: the resampler runs 1.8x faster than on baseline x86-64.
/// Set VOICERELAY_PORTABLE_X86=1 to build for baseline x86-64 instead. arm64 always has FMA.
let dspFlags: [SwiftSetting] = {
    #if arch(x86_64)
    if ProcessInfo.processInfo.environment["VOICERELAY_PORTABLE_X86"] == nil {
        return [.unsafeFlags(["-target-cpu", "haswell"]), .define("FUSED_MULTIPLY_ADD")]
    }
    return []
    #else
    return [.define("FUSED_MULTIPLY_ADD")]
    #endif
}()

let package = Package(
    name: "VoiceRelay",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Codecs", targets: ["Codecs"]),
        .library(name: "AudioPipeline", targets: ["AudioPipeline"]),
        .library(name: "CallRecords", targets: ["CallRecords"]),
        .library(name: "Server", targets: ["Server"]),
        /// The relay's counterparts for tests, `dial`, `load` and `simulate-model`: a Twilio caller
        /// (one call, or a load run's many) and a model (the local agent served as Realtime, or an echo).
        .library(name: "Simulators", targets: ["Simulators"]),
        /// What goes over the sockets: WebSocket framing, the JSON scanner, base64, and the Twilio
        /// and Realtime messages, read and written (shared by the relay, its simulators, the fuzzers
        /// and the benchmarks).
        .library(name: "Wire", targets: ["Wire"]),
        .executable(name: "voice-relay", targets: ["VoiceRelay"]),
        .executable(name: "wire-fuzzer", targets: ["WireFuzzer"]),
        /// What the tests and benchmarks share: a seeded generator, the committed fixtures' readers.
        .library(name: "SeededRandom", targets: ["SeededRandom"]),
        .library(name: "TestFixtures", targets: ["TestFixtures"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
    ],
    targets: [
        .target(name: "SeededRandom"),
        .target(name: "TestFixtures"),
        .systemLibrary(
            name: "COpus",
            pkgConfig: "opus",
            providers: [.apt(["libopus-dev"])]
        ),
        .target(
            name: "Codecs",
            dependencies: ["COpus"],
            swiftSettings: dspFlags
        ),
        /// A cache prefetch hint, which Swift cannot express (one inlined C function).
        .systemLibrary(name: "CCachePrefetch"),
        .target(
            name: "AudioPipeline",
            dependencies: [
                "Codecs",
                "CCachePrefetch",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        .target(
            name: "CallRecords",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Wire",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Server",
            dependencies: [
                "AudioPipeline",
                "CallRecords",
                "Wire",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "Simulators",
            dependencies: [
                "Server",
                "Wire",
                "AudioPipeline",
                "Codecs",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "VoiceRelay",
            dependencies: [
                "Simulators",
                "Codecs",
                "AudioPipeline",
                "CallRecords",
                "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// libFuzzer targets over Wire's parsers of untrusted input (`scripts/dev/fuzz.sh`).
        .executableTarget(
            name: "WireFuzzer",
            dependencies: ["Wire"],
            path: "Fuzz/WireFuzzer"
        ),
        .testTarget(
            name: "CallRecordsTests",
            dependencies: ["CallRecords"]
        ),
        .testTarget(
            name: "CodecsTests",
            dependencies: ["Codecs"]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server",
                "Simulators",
                "TestFixtures",
                "Wire",
                "CallRecords",
                "AudioPipeline",
                "Codecs",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "VoiceRelayTests",
            dependencies: ["VoiceRelay", "Codecs", "Simulators"]
        ),
        .testTarget(
            name: "WireTests",
            dependencies: [
                "Wire",
                "TestFixtures",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AudioPipelineTests",
            dependencies: ["AudioPipeline", "SeededRandom", "TestFixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
