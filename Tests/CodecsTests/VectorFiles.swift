import Foundation

/// Locates the conformance vectors: `Tests/Fixtures/vectors/` in this repository (a copy of the
/// team's shared vectors), or `VOICERELAY_VECTORS`.
enum VectorFiles {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["VOICERELAY_VECTORS"] {
            return URL(fileURLWithPath: override)
        }
        // Tests/CodecsTests/VectorFiles.swift -> Tests/Fixtures/vectors
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/vectors")
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(relativePath))
    }

    static func integers(_ relativePath: String) throws -> [Int] {
        let text = try String(decoding: data(relativePath), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).map { Int($0.trimmingCharacters(in: .whitespaces))! }
    }
}
