import CallRecords
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import AudioPipeline
@testable import Server
import Testing
import Wire
import Simulators

/// The relay talking to a model over a real WebSocket: `simulate-model` stands in for OpenAI.
/// Serialized for the same reason as ``MediaStreamCallTests``.
@Suite(.serialized) struct OpenAIProviderTests {
    @Test(arguments: [ModelAudioFormatChoice.pcm16, .pcmu])
    func aWholeCallThroughTheSimulatedRealtimeModel(format: ModelAudioFormatChoice) async throws {
        let simulated = try await SimulatedModel.start()
        try await simulated.serving {
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime", apiKey: "sk-test",
                                            audioFormat: format.format)
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model)
            try await relay.makeApplication().test(.live) { client in
                let script = Array(repeating: false, count: 30) + Array(repeating: true, count: 50) + Array(repeating: false, count: 130)
                let received = try await MediaStreamCallTests.call(port: client.port!, script: script, untilReplyEnds: true)
                #expect(received.media.count >= 60, "got \(received.media.count) media messages")
                #expect(received.media.allSatisfy { $0.bytes == 160 })
                #expect(!received.marks.isEmpty)
            }
        }
    }

    @Test func aWholeCallThroughAVoiceLiveStandIn() async throws {
        // Beta event names, an api-key the server insists on, Voice Live's endpoint path.
        let simulated = try await SimulatedModel.start(.init(eventNaming: .beta, requiredHeader: ("api-key", "azure-test-key")))
        try await simulated.serving {
            let endpoint = "ws://127.0.0.1:\(simulated.port)/voice-live/realtime?api-version=2025-10-01&model=gpt-realtime"
            let withoutKey = AzureVoiceLiveModel(endpoint: endpoint, setupTimeout: .seconds(2))
            await #expect(throws: ModelConnectionError.self) { _ = try await withoutKey.connect(delegate: NullDelegate()) }
            let model = AzureVoiceLiveModel(endpoint: endpoint, apiKey: "azure-test-key")
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model)
            try await relay.makeApplication().test(.live) { client in
                let script = Array(repeating: false, count: 30) + Array(repeating: true, count: 50) + Array(repeating: false, count: 130)
                let received = try await MediaStreamCallTests.call(port: client.port!, script: script, untilReplyEnds: true)
                #expect(received.media.count >= 60, "got \(received.media.count) media messages")
            }
        }
    }

    @Test func voiceLiveSessionUsesItsOwnFields() throws {
        let update = AzureVoiceLiveModel(endpoint: "wss://x", audioFormat: .pcm16(sampleRate: 16000)).sessionUpdate
        let json = try JSONSerialization.jsonObject(with: Data(update.utf8)) as! [String: Any]
        let session = json["session"] as! [String: Any]
        #expect(json["type"] as? String == "session.update")
        #expect((session["turn_detection"] as? [String: Any])?["type"] as? String == "azure_semantic_vad")
        #expect(session["input_audio_sampling_rate"] as? Int == 16000)
        #expect(session["input_audio_format"] as? String == "pcm16")
        #expect((session["voice"] as? [String: Any])?["type"] as? String == "azure-standard")
        let openAI = try JSONSerialization.jsonObject(with: Data(OpenAIRealtimeModel(audioFormat: .muLaw).sessionUpdate.utf8)) as! [String: Any]
        let audio = ((openAI["session"] as! [String: Any])["audio"] as! [String: Any])
        #expect(((audio["input"] as! [String: Any])["format"] as! [String: Any])["type"] as? String == "audio/pcmu")
    }

    /// Barge-in over real sockets: `audio_end_ms` in the model's `conversation.item.truncate` against
    /// the audio the caller had actually heard when `clear` reached it (replaying Twilio's playback:
    /// each frame plays after the previous one, from when it arrived).
    @Test func truncateReportsWhatTheCallerHeard() async throws {
        let simulated = try await SimulatedModel.start(.init())
        try await simulated.serving {
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime")
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model)
            try await relay.makeApplication().test(.live) { client in
                // 1 s quiet, 1.5 s speech, 1.4 s quiet (the reply starts ~0.5 s in), then speech over the reply.
                var caller: [Int16] = []
                for (voiced, frames) in [(false, 50), (true, 75), (false, 70), (true, 50), (false, 25)] {
                    for index in 0..<frames {
                        caller += SyntheticVoice.frame(index, voiced: voiced).map { Int16($0 * 32767) }
                    }
                }
                let result = try await CallSimulator(relayURL: "http://127.0.0.1:\(client.port!)", tail: .milliseconds(500))
                    .call(callerAudio: caller)
                guard let clear = result.clearTimesMs.first, let truncation = simulated.truncations.first else {
                    Issue.record("no barge-in: clears \(result.clearTimesMs), truncations \(simulated.truncations.count)")
                    return
                }
                var playEnd = 0.0
                var heard = 0.0
                for arrival in result.agentFrameTimesMs where arrival < clear {
                    let start = max(arrival, playEnd)
                    playEnd = start + 20
                    heard += min(max(clear - start, 0), 20)
                }
                print("barge-in: clear at \(Int(clear)) ms, caller heard \(Int(heard)) ms, audio_end_ms \(truncation.audioEndMs)")
                #expect(heard > 100, "the agent had barely started: \(heard) ms")
                // The caller's second utterance starts at 3,900 ms of audio: `clear` must follow within 100 ms.
                #expect(clear - 3900 <= 100, "clear \(Int(clear - 3900)) ms after the caller's onset")
                #expect(abs(Double(truncation.audioEndMs) - heard) <= 40,
                        "audio_end_ms \(truncation.audioEndMs), heard \(heard) ms")
            }
        }
    }

    @Test func theWebhookOpensTheModelSessionBeforeTheStreamArrives() async throws {
        let simulated = try await SimulatedModel.start(.init())
        try await simulated.serving {
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime")
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model)
            try await relay.makeApplication().test(.live) { client in
                let result = try await CallSimulator(relayURL: "http://127.0.0.1:\(client.port!)", tail: .seconds(1))
                    .call(callerAudio: [Int16](repeating: 0, count: 4000)) {
                        try await Task.sleep(for: .milliseconds(300))
                        #expect(simulated.connections == 1, "the model was not connected at the webhook")
                    }
                #expect(simulated.connections == 1, "the stream opened a second model session")
                #expect(result.closeReason == nil)
            }
        }
    }

    @Test func theCallCarriesOnWhenTheModelDropsMidCall() async throws {
        let simulated = try await SimulatedModel.start(.init(dropFirstConnectionAfterAppends: 15))
        try await simulated.serving {
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime")
            let recorder = try ScratchRecorder()
            defer { recorder.remove() }
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model,
                                    recorder: recorder.writer)
            try await relay.makeApplication().test(.live) { client in
                // The model hangs up 300 ms in; the caller speaks from 600 ms; the agent still answers.
                let script = Array(repeating: false, count: 30) + Array(repeating: true, count: 50) + Array(repeating: false, count: 130)
                let received = try await MediaStreamCallTests.call(port: client.port!, script: script, untilReplyEnds: true)
                #expect(simulated.connections == 2)
                #expect(received.media.count >= 60, "got \(received.media.count) media messages")
                // The call record says what happened.
                try await Task.sleep(for: .milliseconds(300))
                let detail = try #require(try await recorder.flushed().call(sid: "CA1"))
                #expect(detail.call.reconnects == 1)
                #expect(detail.events.map(\.kind) == ["model-dropped", "model-reconnected"])
            }
        }
    }

    @Test func aModelThatStaysDownIsReplacedByTheFallback() async throws {
        // The primary hangs up 300 ms in and refuses to come back; the fallback takes over.
        let primary = try await SimulatedModel.start(.init(dropFirstConnectionAfterAppends: 15, maximumConnections: 1))
        let fallback = try await SimulatedModel.start(.init())
        try await primary.serving {
            try await fallback.serving {
                let relay = RelayServer(
                    configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"),
                    model: OpenAIRealtimeModel(url: "ws://127.0.0.1:\(primary.port)/v1/realtime", setupTimeout: .seconds(1)),
                    fallbackModel: OpenAIRealtimeModel(url: "ws://127.0.0.1:\(fallback.port)/v1/realtime"))
                try await relay.makeApplication().test(.live) { client in
                    // Reconnecting to the primary takes ~2.1 s of back-off; the caller speaks after that.
                    let script = Array(repeating: false, count: 150) + Array(repeating: true, count: 50) + Array(repeating: false, count: 130)
                    let received = try await MediaStreamCallTests.call(port: client.port!, script: script, untilReplyEnds: true)
                    #expect(primary.connections == 1)
                    #expect(fallback.connections == 1)
                    #expect(received.media.count >= 60, "got \(received.media.count) media messages")
                }
            }
        }
    }

    @Test func aModelThatNeverConfirmsTheSessionFailsTheConnectInTime() async throws {
        // A WebSocket server that accepts and then says nothing.
        let silent = Application(
            router: Router(),
            server: .http1WebSocketUpgrade { _, _, _ in .upgrade([:]) { inbound, _, _ in for try await _ in inbound {} } },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await silent.test(.live) { client in
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(client.port!)/v1/realtime", setupTimeout: .milliseconds(300))
            let start = ContinuousClock.now
            await #expect(throws: ModelConnectionError.self) { _ = try await model.connect(delegate: NullDelegate()) }
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }

    @Test func modelEventsAreReadFromTheBytesInEitherNaming() throws {
        let audio = Data((0..<480).map { UInt8(truncatingIfNeeded: $0) })
        for type in ["response.output_audio.delta", "response.audio.delta"] {
            let message = Array(#"{"type":"\#(type)","response_id":"r1","item_id":"item_9","output_index":0,"content_index":0,"delta":"\#(audio.base64EncodedString())"}"#.utf8)
            try message.withUnsafeBytes { bytes in
                let (fields, scanner) = try RealtimeEventFields.scan(bytes)
                #expect(RealtimeEventFields.is(fields.type!, in: scanner, "response.output_audio.delta", "response.audio.delta"))
                #expect(String(decoding: scanner.slice(fields.itemID!), as: UTF8.self) == "item_9")
                var decoded = [UInt8](repeating: 0, count: 480)
                let count = try decoded.withUnsafeMutableBytes { try Base64.decode(scanner.slice(fields.data!), into: $0) }
                #expect(count == 480 && Data(decoded) == audio)
            }
        }
        let error = Array(#"{"type":"error","error":{"type":"invalid_request_error","code":"x","message":"bad thing","param":null}}"#.utf8)
        try error.withUnsafeBytes { bytes in
            let (fields, scanner) = try RealtimeEventFields.scan(bytes)
            #expect(String(decoding: scanner.slice(fields.errorMessage!), as: UTF8.self) == "bad thing")
        }
        for hostile in [#"{"type":"response.audio.delta","delta":"#, #"{"type":1}"#, "[]", #"{"type":"x"} x"#] {
            #expect(throws: JSONScanner.Failure.self) { try Array(hostile.utf8).withUnsafeBytes { _ = try RealtimeEventFields.scan($0) } }
        }
    }
}

enum ModelAudioFormatChoice: String, CaseIterable, Sendable {
    case pcm16, pcmu
    var format: ModelAudioFormat { self == .pcmu ? .muLaw : .pcm16(sampleRate: 24000) }
}

final class NullDelegate: RealtimeModelDelegate {
    func modelAudio(item: String, _ audio: UnsafeRawBufferPointer) {}
    func modelEvent(_ event: ModelEvent) {}
}
