import CallRecords
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Server
import Testing

/// A SQLite store and its writer in a scratch folder, for one test.
struct ScratchRecorder {
    let directory: String
    let store: SQLiteCallStore
    let writer: RecordWriter

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)").path
        store = try SQLiteCallStore(directory: directory)
        writer = RecordWriter(store: store, outbox: try Outbox(directory: directory), logger: Logger(label: "test"))
    }

    /// Everything submitted so far, written.
    func flushed() async throws -> SQLiteCallStore {
        #expect(await writer.flush())
        return store
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite(.serialized) struct CallRecordingTests {
    @Test func aCallLeavesARecordWithItsTurnsAndLatency() async throws {
        let recorder = try ScratchRecorder()
        defer { recorder.remove() }
        let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test", region: "fra"),
                                model: LocalAgent(), recorder: recorder.writer)
        // 0.6 s quiet, 1 s speech, 2.6 s quiet: one caller turn, one agent turn.
        let script = Array(repeating: false, count: 30) + Array(repeating: true, count: 50) + Array(repeating: false, count: 130)
        try await relay.makeApplication().test(.live) { client in
            let received = try await MediaStreamCallTests.call(port: client.port!, script: script)
            try await Task.sleep(for: .milliseconds(300))  // the stream's end is recorded as the socket closes
            let store = try await recorder.flushed()
            let detail = try #require(try await store.call(sid: "CA1"))
            #expect(detail.call.region == "fra" && detail.call.provider == "local")
            #expect(detail.call.endReason == "twilio stop")
            #expect(detail.call.framesIn == script.count)
            #expect(detail.call.framesOut == received.media.count)
            #expect(detail.call.framesLost == 0)
            #expect(detail.turns.map(\.speaker) == [.caller, .agent])
            // The caller spoke for 1 s of audio. Turn times and latency are wall-clock times at the
            // relay, so on a starved CI machine, where frames arrive in bursts, they shrink: the
            // bounds are loose, the precise figures come from `dial` (README).
            let caller = detail.turns[0]
            let spoke = try #require(caller.endedAt).timeIntervalSince(caller.startedAt)
            #expect(spoke > 0.05 && spoke < 1.3, "caller turn \(spoke) s")
            #expect(detail.turns[1].audioPlayedMs == received.media.count * 20)
            #expect(detail.turns[1].startedAt >= (caller.endedAt ?? .distantFuture))
            let latency = try #require(detail.call.voiceToVoiceP50Ms)
            #expect(latency > 0 && latency < 1500, "voice-to-voice \(latency) ms")

            // The same call in the metrics, with region and provider labels and no call id.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let labels = #"region="fra",provider="local""#
            #expect(metrics.contains(#"voice_relay_calls_total{\#(labels),carrier="twilio",outcome="completed"} 1"#))
            #expect(metrics.contains(#"voice_relay_active_calls{\#(labels),carrier="twilio"} 0"#))
            #expect(metrics.contains("voice_relay_caller_frames_received_total{\(labels)} \(script.count)"))
            #expect(metrics.contains("voice_relay_caller_frames_sent_total{\(labels)} \(received.media.count)"))
            #expect(metrics.contains("voice_relay_voice_to_voice_seconds_count{\(labels)} 1"))
            #expect(metrics.contains("voice_relay_relay_inbound_latency_seconds_count{\(labels)} \(script.count / 10)"))
            #expect(metrics.contains("voice_relay_relay_outbound_latency_seconds_count{\(labels)} 1"))
            #expect(metrics.contains("voice_relay_store_queue_depth_records{\(labels)} 0"))
            #expect(metrics.contains(#"voice_relay_jitter_buffer_delay_seconds_bucket{\#(labels),le="0.0"} 1"#))
            #expect(!metrics.contains("CA1"))
        }
    }

    @Test func theCallsAPIIsBehindTheAdminToken() async throws {
        let recorder = try ScratchRecorder()
        defer { recorder.remove() }
        try await recorder.store.migrate()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try await recorder.store.write([.call(CallRecord(callSid: "CA7", streamSid: "MZ7", tenant: "+1", caller: "", region: "iad",
                                                          provider: "local", endpoint: "in-process", startedAt: start))])
        for token in [nil, "s3cret"] {
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, adminToken: token), model: LocalAgent(),
                                    recorder: recorder.writer)
            try await relay.makeApplication().test(.live) { client in
                let anonymous = try await client.execute(uri: "/calls", method: .get)
                #expect(anonymous.status == (token == nil ? .forbidden : .unauthorized))
                guard let token else { return }
                let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
                let wrong = try await client.execute(uri: "/calls", method: .get, headers: [.authorization: "Bearer nope"])
                #expect(wrong.status == .unauthorized)
                let list = try await client.execute(uri: "/calls?since=2027-01-01T00:00:00Z", method: .get, headers: bearer)
                #expect(list.status == .ok)
                #expect(String(buffer: list.body).contains(#""callSid":"CA7""#))
                let one = try await client.execute(uri: "/calls/CA7", method: .get, headers: bearer)
                #expect(String(buffer: one.body).contains(#""region":"iad""#))
                #expect(try await client.execute(uri: "/calls/CA8", method: .get, headers: bearer).status == .notFound)
                #expect(try await client.execute(uri: "/calls?since=yesterday", method: .get, headers: bearer).status == .badRequest)
            }
        }
    }

    @Test func callerNumbersAreHashedPlainOrOmitted() {
        let hashed = CallerNumbers.hashed(salt: "s").record("+14155550100")
        #expect(hashed.hasPrefix("sha256:") && hashed.count == 31)
        #expect(hashed == CallerNumbers.hashed(salt: "s").record("+14155550100"))
        #expect(hashed != CallerNumbers.hashed(salt: "t").record("+14155550100"))
        #expect(CallerNumbers.plain.record("+14155550100") == "+14155550100")
        #expect(CallerNumbers.omitted.record("+14155550100") == "")
        #expect(CallerNumbers(setting: "sometimes", salt: nil) == nil)
    }
}
