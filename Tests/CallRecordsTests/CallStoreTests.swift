import CallRecords
import Foundation
import Logging
import Testing

/// The stores the tests run against: SQLite always, PostgreSQL when the test command started one.
enum TestStores {
    static var postgresURL: String? { ProcessInfo.processInfo.environment["VOICERELAY_TEST_DATABASE_URL"] }

    static func make(_ kind: String) throws -> (store: any CallStore, cleanup: () -> Void) {
        switch kind {
        case "postgres":
            guard let url = postgresURL else {
                throw CallStoreError("no PostgreSQL for the tests: run them with scripts/test.sh (it starts one)")
            }
            return (try PostgresCallStore(url: url, logger: Logger(label: "test")), {})
        default:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
            return (try SQLiteCallStore(directory: directory), { try? FileManager.default.removeItem(atPath: directory) })
        }
    }

    /// A call's worth of records, with ids unique to this run.
    static func call(_ sid: String, at start: Date, ended: Bool) -> [StoreRecord] {
        var call = CallRecord(callSid: sid, streamSid: "MZ" + sid, tenant: "+4930555", caller: "hash:ab12", region: "fra",
                              provider: "openai", endpoint: "wss://api.openai.com/v1/realtime", startedAt: start, carrier: "plivo")
        var records: [StoreRecord] = [.call(call)]
        records.append(.turn(TurnRecord(callSid: sid, index: 0, speaker: .caller, startedAt: start.addingTimeInterval(1),
                                        endedAt: start.addingTimeInterval(2), transcript: "Hello there")))
        records.append(.turn(TurnRecord(callSid: sid, index: 1, speaker: .agent, startedAt: start.addingTimeInterval(2.5),
                                        endedAt: start.addingTimeInterval(4), transcript: "Hi! How can I help?",
                                        interrupted: true, audioPlayedMs: 1180)))
        records.append(.event(CallEvent(callSid: sid, sequence: 0, at: start.addingTimeInterval(3), kind: "barge-in", detail: "playedMs=1180")))
        if ended {
            call.endedAt = start.addingTimeInterval(10)
            call.endReason = "twilio stop"
            call.framesIn = 500
            call.framesOut = 210
            call.framesConcealed = 2
            call.bargeIns = 1
            call.voiceToVoiceP50Ms = 512.5
            call.voiceToVoiceP95Ms = 530
            records.append(.call(call))
        }
        return records
    }
}

@Suite(.serialized) struct CallStoreTests {
    static let kinds = ["sqlite", "postgres"]

    @Test(arguments: kinds) func writesAndReadsBackCallsTurnsAndEvents(kind: String) async throws {
        let (store, cleanup) = try TestStores.make(kind)
        defer { cleanup() }
        try await store.migrate()
        try await store.migrate()  // versioned: a second run changes nothing
        let start = Date(timeIntervalSince1970: 1_800_000_000 + Double.random(in: 0..<1_000_000).rounded())
        let sid = "CA" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let records = TestStores.call(sid, at: start, ended: true)
        try await store.write(records)

        let detail = try #require(try await store.call(sid: sid))
        #expect(detail.call.endReason == "twilio stop")
        #expect(detail.call.carrier == "plivo")
        #expect(detail.call.framesIn == 500)
        #expect(detail.call.voiceToVoiceP50Ms == 512.5)
        #expect(detail.call.startedAt == start)
        #expect(detail.turns.map(\.transcript) == ["Hello there", "Hi! How can I help?"])
        #expect(detail.turns[1].interrupted && detail.turns[1].audioPlayedMs == 1180)
        #expect(detail.events.map(\.kind) == ["barge-in"])
        let recent = try await store.calls(since: start, limit: 10)
        #expect(recent.contains { $0.callSid == sid })
        #expect(try await store.call(sid: "CAnothing") == nil)
        await store.close()
    }

    @Test(arguments: kinds) func writesAreIdempotentAndNeverUndoAnEnd(kind: String) async throws {
        let (store, cleanup) = try TestStores.make(kind)
        defer { cleanup() }
        try await store.migrate()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let sid = "CA" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let records = TestStores.call(sid, at: start, ended: true)
        try await store.write(records)
        try await store.write(records)  // a retry of the same batch
        // An older, unfinished version arriving late (an outbox replayed out of order).
        try await store.write(Array(TestStores.call(sid, at: start, ended: false).prefix(1)))
        let detail = try #require(try await store.call(sid: sid))
        #expect(detail.call.endReason == "twilio stop")
        #expect(detail.turns.count == 2)
        #expect(detail.events.count == 1)
        #expect(try await store.calls(since: start, limit: 1000).filter { $0.callSid == sid }.count == 1)
        await store.close()
    }

    /// A record an older relay left in the outbox, before calls named their carrier, is still
    /// written: as a Twilio call, which is what every call was then.
    @Test func anOutboxRecordFromBeforeCarriersReadsAsTwilios() throws {
        let old = #"{"call":{"_0":{"callSid":"CA1","streamSid":"MZ1","tenant":"+1","caller":"","region":"fra","provider":"openai","endpoint":"wss://x","startedAt":0,"framesIn":1,"framesOut":2,"framesLost":0,"framesConcealed":0,"bargeIns":0,"reconnects":0}}}"#
        let record = try JSONDecoder().decode(StoreRecord.self, from: Data(old.utf8))
        guard case .call(let call) = record else { Issue.record("not a call: \(record)"); return }
        #expect(call.carrier == "twilio")
        #expect(call.framesOut == 2)
        let roundTrip = try JSONDecoder().decode(StoreRecord.self, from: JSONEncoder().encode(StoreRecord.call(CallRecord(
            callSid: "c", streamSid: "s", tenant: "t", caller: "", region: "fra", provider: "p", endpoint: "e", startedAt: Date(timeIntervalSince1970: 5),
            carrier: "plivo"))))
        guard case .call(let decoded) = roundTrip else { Issue.record("not a call"); return }
        #expect(decoded.carrier == "plivo")
    }
}
