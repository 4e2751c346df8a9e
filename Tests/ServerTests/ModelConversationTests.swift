import CallRecords
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import Server
import Testing
import Simulators

/// What a call tells its model and keeps of the conversation, over a real model socket
/// (`SimulatedModel` speaking OpenAI's GA events): transcripts both ways into the call
/// record, key presses, and the conversation handed to a session opened after a drop.
@Suite(.serialized) struct ModelConversationTests {
    /// Quotes, a backslash, a newline, accented letters, a BMP symbol and an emoji (a surrogate
    /// pair once escaped): the simulated model sends them as `\uXXXX`, as Python's json does.
    static let callerSays = "She said \"hi\" \\ then:\ncafé ☕ 🎉"
    static let agentSays = "Réponse « oui » 👍\nfin"

    /// Two caller turns, each answered.
    static let twoTurns: [ConversationCaller.Step] = [
        .quiet(frames: 25), .speak(frames: 50), .quietAfterAgentFinished(.milliseconds(400)),
        .speak(frames: 40), .quietAfterAgentFinished(.milliseconds(400)),
    ]

    static func store(_ kind: String) throws -> (store: any CallStore, cleanup: () -> Void) {
        if kind == "postgres" {
            let url = try #require(ProcessInfo.processInfo.environment["VOICERELAY_TEST_DATABASE_URL"],
                                   "no PostgreSQL for the tests: run them with scripts/test.sh (it starts one)")
            return (try PostgresCallStore(url: url, logger: Logger(label: "test")), {})
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)").path
        return (try SQLiteCallStore(directory: directory), { try? FileManager.default.removeItem(atPath: directory) })
    }

    @Test(arguments: ["sqlite", "postgres"])
    func transcriptsOfBothSpeakersAreStoredDecodedInTurnOrder(storeKind: String) async throws {
        let (store, cleanup) = try Self.store(storeKind)
        defer { cleanup() }
        let outbox = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outbox) }
        let writer = RecordWriter(store: store, outbox: try Outbox(directory: outbox), logger: Logger(label: "test"))
        let simulated = try await SimulatedModel.start(.init(transcripts: (Self.callerSays, Self.agentSays)))
        let callSid = "CA" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await simulated.serving {
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime", audioFormat: .muLaw)
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model, recorder: writer)
            try await relay.makeApplication().test(.live) { client in
                let heard = try await ConversationCaller.call(port: client.port!, callSid: callSid, steps: Self.twoTurns)
                #expect(heard.stepTimedOut == nil)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(await writer.flush())
        let detail = try #require(try await store.call(sid: callSid))
        let spoken = detail.turns.filter { $0.transcript != nil }.map { "\($0.speaker.rawValue): \($0.transcript!)" }
        #expect(spoken == [
            "caller: \(Self.callerSays) #1", "agent: \(Self.agentSays) #1",
            "caller: \(Self.callerSays) #2", "agent: \(Self.agentSays) #2",
        ], "\(spoken)")
        #expect(detail.turns.map(\.index) == detail.turns.map(\.index).sorted())
        #expect(simulated.errorsSent == 0)
        // The session asked for caller transcripts (OpenAI GA: audio.input.transcription).
        let update = try #require(simulated.clientEvents.first { $0.event.contains(#""session.update""#) }?.event)
        let session = try #require(try JSONSerialization.jsonObject(with: Data(update.utf8)) as? [String: Any])["session"] as? [String: Any]
        let input = (session?["audio"] as? [String: Any])?["input"] as? [String: Any]
        #expect((input?["transcription"] as? [String: Any])?["model"] as? String == "gpt-4o-mini-transcribe")
    }

    /// The model drops after the first answer; the session the relay opens next is given the
    /// conversation so far as items (newest last), and the call goes on with its next turn.
    @Test func aSessionOpenedAfterADropIsGivenTheConversationSoFar() async throws {
        let recorder = try ScratchRecorder()
        defer { recorder.remove() }
        // 25 quiet + 50 speech frames, the answer (~1.8 s) and 400 ms: about 230 appends. Drop at 240.
        let simulated = try await SimulatedModel.start(.init(dropFirstConnectionAfterAppends: 240, transcripts: ("first question", "first answer")))
        try await simulated.serving {
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime", audioFormat: .muLaw)
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test"), model: model,
                                    recorder: recorder.writer)
            try await relay.makeApplication().test(.live) { client in
                // The drop comes in the 2 s pause: the new session hears silence before the next
                // question (a VAD that starts mid-word takes the word for its background).
                let steps = Self.twoTurns.prefix(3) + [.quiet(frames: 100), .speak(frames: 40), .quietAfterAgentFinished(.milliseconds(400))]
                let heard = try await ConversationCaller.call(port: client.port!, callSid: "CA7", steps: Array(steps))
                #expect(heard.stepTimedOut == nil)
            }
        }
        #expect(simulated.connections == 2)
        let second = simulated.clientEvents.filter { $0.connection == 2 }.map(\.event)
        let items = second.filter { $0.contains("conversation.item.create") }
        #expect(items.count == 2, "\(second)")
        if items.count == 2 {
            #expect(items[0].contains(#""role":"user""#) && items[0].contains(#""type":"input_text""#) && items[0].contains("first question #1"))
            #expect(items[1].contains(#""role":"assistant""#) && items[1].contains(#""type":"output_text""#) && items[1].contains("first answer #1"))
        }
        // Given before anything else of the call's second half, and answered afterwards.
        #expect(second.first?.contains("session.update") == true)
        let detail = try #require(try await recorder.flushed().call(sid: "CA7"))
        #expect(detail.call.reconnects == 1)
        #expect(detail.turns.filter { $0.speaker == .agent }.count == 2)
        #expect(simulated.errorsSent == 0)
    }

    /// A key press reaches the model as a user message and a request to respond (the simulated
    /// agent answers with its chime), and the record keeps it; with `DTMF_TO_MODEL=off` only the record does.
    @Test(arguments: [true, false])
    func keyPressesReachTheModelAndTheRecord(toModel: Bool) async throws {
        let recorder = try ScratchRecorder()
        defer { recorder.remove() }
        let simulated = try await SimulatedModel.start(.init())
        try await simulated.serving {
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime", audioFormat: .muLaw)
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test", dtmfToModel: toModel),
                                    model: model, recorder: recorder.writer)
            try await relay.makeApplication().test(.live) { client in
                let steps: [ConversationCaller.Step] = [.quiet(frames: 20), .pressKey("7"), .quiet(frames: 40), .pressKey("#"), .quiet(frames: 60)]
                let heard = try await ConversationCaller.call(port: client.port!, callSid: "CA8", steps: steps)
                // The chime (300 ms) for each key, or nothing.
                #expect(toModel ? heard.agentFrameTimesMs.count >= 25 : heard.agentFrameTimesMs.count == 0, "\(heard.agentFrameTimesMs.count) agent frames")
            }
        }
        let events = simulated.clientEvents.map(\.event)
        let told = events.filter { $0.contains("conversation.item.create") }
        #expect(told.count == (toModel ? 2 : 0), "\(events)")
        if toModel, told.count == 2 {
            #expect(told[0].contains("pressed the key 7") && told[1].contains("pressed the key #"))
            #expect(events.filter { $0.contains("response.create") }.count == 2)
        }
        #expect(simulated.errorsSent == 0)
        let detail = try #require(try await recorder.flushed().call(sid: "CA8"))
        #expect(detail.events.filter { $0.kind == "dtmf" }.map(\.detail) == ["7", "#"])
    }
}
