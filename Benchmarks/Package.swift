// swift-tools-version: 6.1
import Foundation
import PackageDescription

// A path dependency is named after its folder, and a clone may be checked out under any name.
let relayPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// The benchmark suites live in their own package so the relay's build and tests never
// need the benchmark harness or the comparison libraries (libspeexdsp).
let package = Package(
    name: "VoiceRelayBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSpeexDSP",
            path: "Sources/CSpeexDSP",
            pkgConfig: "speexdsp",
            providers: [.apt(["libspeexdsp-dev"])]
        ),
        .systemLibrary(
            name: "CLibOpus",
            path: "Sources/CLibOpus",
            pkgConfig: "opus",
            providers: [.apt(["libopus-dev"])]
        ),
        .executableTarget(
            name: "CodecsBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Codecs", package: relayPackage),
                .product(name: "SeededRandom", package: relayPackage),
                "CSpeexDSP",
                "CLibOpus",
            ],
            path: "Benchmarks/CodecsBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "AudioPipelineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AudioPipeline", package: relayPackage),
                .product(name: "Codecs", package: relayPackage),
                .product(name: "TestFixtures", package: relayPackage),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Benchmarks/AudioPipelineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Wire", package: relayPackage),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/WireBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PipelineLoad",
            dependencies: [
                .product(name: "AudioPipeline", package: relayPackage),
                .product(name: "Codecs", package: relayPackage),
            ],
            path: "Sources/PipelineLoad"
        ),
        .executableTarget(
            name: "NIOFloorRelay",
            dependencies: [
                .product(name: "Wire", package: relayPackage),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/NIOFloorRelay"
        ),
        .executableTarget(
            name: "StoreLoad",
            dependencies: [
                .product(name: "CallRecords", package: relayPackage),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/StoreLoad"
        ),
        .executableTarget(
            name: "JitterTraces",
            dependencies: [
                .product(name: "AudioPipeline", package: relayPackage),
                .product(name: "SeededRandom", package: relayPackage),
            ],
            path: "Sources/JitterTraces"
        ),
    ],
    swiftLanguageModes: [.v6]
)
