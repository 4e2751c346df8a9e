import CallRecords
import Foundation
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL goes away in the middle of a run of calls and comes back: every call, turn and
/// event arrives exactly once. Uses the server `scripts/test.sh` starts (and its stop/start script).
@Suite struct PostgresFaultTests {
    @Test func aDatabaseThatGoesAwayMidRunLosesNothingAndDuplicatesNothing() async throws {
        let environment = ProcessInfo.processInfo.environment
        let url = try #require(environment["VOICERELAY_TEST_DATABASE_URL"], "run the tests with scripts/test.sh, which starts PostgreSQL")
        let control = try #require(environment["VOICERELAY_TEST_POSTGRES_CTL"])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fault-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "fault-test")
        logger.logLevel = .error
        let store = try PostgresCallStore(url: url, logger: logger)
        try await store.migrate()
        let writer = RecordWriter(store: store, outbox: try Outbox(directory: directory), retryInterval: .milliseconds(250),
                                  writeTimeout: .seconds(2), logger: logger)
        let writing = Task { try await writer.run() }

        // 200 calls over ~6 s, each: start, two turns, an event, the end (5 records, 4 rows).
        let run = UUID().uuidString.prefix(8)
        let calls = 200
        let start = Date()
        let placing = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<calls {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(index * 25))
                        let records = TestStores.call("CA\(run)\(index)", at: start, ended: true)
                        writer.submit(records[0])
                        try await Task.sleep(for: .milliseconds(300))
                        for record in records.dropFirst() { writer.submit(record) }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await Task.sleep(for: .seconds(1.5))
        try Self.postgres(control, "stop")
        try await Task.sleep(for: .seconds(2.5))
        try Self.postgres(control, "start")
        try await placing.value

        // Let the writer catch up: every record is either written directly or replayed from the
        // outbox (a batch in flight is in neither the queue nor the outbox, so those are not enough).
        let deadline = ContinuousClock.now + .seconds(30)
        while writer.statistics.written + writer.statistics.replayed < writer.statistics.submitted {
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        writing.cancel()
        let statistics = writer.statistics

        var found = 0, complete = 0, turns = 0, events = 0
        for call in try await store.calls(since: start.addingTimeInterval(-1), limit: 100_000) where call.callSid.hasPrefix("CA\(run)") {
            found += 1
            let detail = try #require(try await store.call(sid: call.callSid))
            if detail.call.endReason == "twilio stop" { complete += 1 }
            turns += detail.turns.count
            events += detail.events.count
        }
        print("fault test: submitted \(statistics.submitted), written directly \(statistics.written), outboxed \(statistics.outboxed), "
              + "replayed \(statistics.replayed), failures \(statistics.failures); rows: \(found) calls (\(complete) complete), "
              + "\(turns) turns, \(events) events; lost \(calls * 4 - found - turns - events)")
        #expect(statistics.outboxed > 0, "the database was down for 2.5 s: something must have gone to the outbox")
        #expect(statistics.replayed == statistics.outboxed)
        #expect(writer.outbox.count == 0)
        #expect(found == calls && complete == calls)
        #expect(turns == calls * 2 && events == calls)
        await store.close()
    }

    /// Runs the server's stop/start script. (`system`, not Foundation's `Process`: the server the
    /// script starts outlives it, and `Process.waitUntilExit` can then wait forever.)
    static func postgres(_ control: String, _ action: String) throws {
        let status = system("'\(control)' \(action) >/dev/null 2>&1")
        guard status == 0 else { throw CallStoreError("\(control) \(action) failed (\(status))") }
    }
}
