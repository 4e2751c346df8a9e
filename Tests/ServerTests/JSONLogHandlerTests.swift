import Foundation
import Logging
import Server
import Testing

@Suite struct JSONLogHandlerTests {
    @Test func eachEventIsOneJSONObjectWithItsContext() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let output = JSONLogOutput(handle: try FileHandle(forWritingTo: URL(fileURLWithPath: path)))
        var logger = Logger(label: "voice-relay") { label in
            JSONLogHandler(label: label, level: .info, metadata: ["region": "fra"], output: output)
        }
        logger[metadataKey: "call"] = "CA1"
        logger.info("call started", metadata: ["stream": "MZ1", "quote": "a \"b\"\nc"])
        logger.debug("per-frame detail stays out at info")
        logger.error("model error")

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(first["message"] == "call started" && first["level"] == "info")
        #expect(first["region"] == "fra" && first["call"] == "CA1" && first["stream"] == "MZ1")
        #expect(first["quote"] == "a \"b\"\nc")
        #expect(first["time"]?.hasSuffix("Z") == true)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: String])
        #expect(second["level"] == "error" && second["source"] != nil)
    }
}
