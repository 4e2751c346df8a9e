import Foundation

/// Locates `shared/vectors/` next to the checkout (or at `VOICERELAY_VECTORS`).
enum VectorFiles {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["VOICERELAY_VECTORS"] {
            return URL(fileURLWithPath: override)
        }
        // Tests/CodecsTests/VectorFiles.swift -> repository root -> ../shared/vectors
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/vectors")
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(relativePath))
    }

    static func integers(_ relativePath: String) throws -> [Int] {
        let text = try String(decoding: data(relativePath), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).map { Int($0.trimmingCharacters(in: .whitespaces))! }
    }
}
