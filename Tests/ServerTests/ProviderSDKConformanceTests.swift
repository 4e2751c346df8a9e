import Foundation
@testable import Server
import Testing
import Wire

/// Every client event the relay writes to a model, checked against the provider's own Python
/// SDK (`openai`, `azure-ai-voicelive` on PyPI) by `scripts/test-support/realtime_events_check.py`:
/// a stand-in model written here would agree with the relay by construction; the SDKs do not.
@Suite struct ProviderSDKConformanceTests {
    static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-support/realtime_events_check.py").path

    static func events(_ messages: RealtimeControlMessages, sessionUpdate: String) -> [String] {
        var append = [UInt8](repeating: 0, count: RealtimeMessageWriter.appendLength(audioCount: 160))
        let audio = [UInt8](repeating: 0x7F, count: 160)
        audio.withUnsafeBytes { bytes in append.withUnsafeMutableBytes { RealtimeMessageWriter.writeAppend(bytes, into: $0) } }
        return [
            sessionUpdate,
            String(decoding: append, as: UTF8.self),
            messages.truncate(item: "item_\"7\"", audioEndMs: 1234),
            RealtimeControlMessages.cancelResponse,
            RealtimeControlMessages.createResponse,
            messages.message(ConversationTurn(speaker: .caller, text: RealtimeControlMessages.digitText("5"))),
            messages.message(ConversationTurn(speaker: .caller, text: "I'd like \"two\" tickets\nplease 🎉")),
            messages.message(ConversationTurn(speaker: .agent, text: "Sure — for when?")),
        ]
    }

    @Test func clientEventsParseFieldByFieldInTheProvidersSDKs() throws {
        var lines: [String] = []
        for (provider, events) in [
            ("openai", Self.events(.openAI, sessionUpdate: OpenAIRealtimeModel(audioFormat: .muLaw).sessionUpdate)),
            ("openai", [OpenAIRealtimeModel().sessionUpdate, OpenAIRealtimeModel(transcriptionModel: nil).sessionUpdate]),
            ("azure", Self.events(.voiceLive, sessionUpdate: AzureVoiceLiveModel(endpoint: "wss://x").sessionUpdate)),
            ("azure", [AzureVoiceLiveModel(endpoint: "wss://x", audioFormat: .muLaw, transcriptionModel: nil).sessionUpdate]),
        ] {
            for event in events {
                let object = try JSONSerialization.jsonObject(with: Data(event.utf8))
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: ["provider": provider, "event": object]), as: UTF8.self))
            }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.checker]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let failure = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(report)\(failure)")
        #expect(report.split(separator: "\n").count == lines.count, "\(report)\(failure)")
    }

    /// The checker is strict: a field the SDK does not define fails.
    @Test func theCheckerRefusesAFieldTheSDKDoesNotKnow() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.checker]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = Pipe()
        try process.run()
        input.fileHandleForWriting.write(Data(#"{"provider":"openai","event":{"type":"conversation.item.truncate","item_id":"a","content_index":0,"audio_end":5}}"#.utf8 + [0x0A]))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
    }
}
