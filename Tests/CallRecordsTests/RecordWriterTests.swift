import CallRecords
import Foundation
import Logging
import Synchronization
import Testing

/// A store that fails on demand, in front of a real one.
final class SwitchableStore: CallStore {
    let inner: any CallStore
    let down = Atomic<Bool>(false)
    var name: String { "switchable-" + inner.name }

    init(_ inner: any CallStore) { self.inner = inner }

    func migrate() async throws { try await inner.migrate() }
    func write(_ records: [StoreRecord]) async throws {
        if down.load(ordering: .relaxed) { throw CallStoreError("switched off") }
        try await inner.write(records)
    }
    func calls(since: Date?, limit: Int) async throws -> [CallRecord] { try await inner.calls(since: since, limit: limit) }
    func call(sid: String) async throws -> CallDetail? { try await inner.call(sid: sid) }
    func close() async { await inner.close() }
}

@Suite struct RecordWriterTests {
    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("writer-\(UUID().uuidString)").path
    }

    @Test func recordsWrittenWhileTheStoreIsDownAreOutboxedThenReplayedOnce() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = SwitchableStore(try SQLiteCallStore(directory: directory))
        try await store.migrate()
        let writer = RecordWriter(store: store, outbox: try Outbox(directory: directory), logger: Logger(label: "test"))
        let start = Date(timeIntervalSince1970: 1_800_000_000)

        for record in TestStores.call("CA1", at: start, ended: false) { writer.submit(record) }
        #expect(await writer.flush())
        store.down.store(true, ordering: .relaxed)
        for record in TestStores.call("CA1", at: start, ended: true).suffix(1) + TestStores.call("CA2", at: start, ended: true) {
            writer.submit(record)
        }
        #expect(await writer.flush() == false)
        #expect(writer.outbox.count == 6)
        #expect(writer.statistics.queueDepth == 0)
        // The outbox survives a restart of the relay.
        #expect(try Outbox(directory: directory).count == 6)

        store.down.store(false, ordering: .relaxed)
        #expect(await writer.flush())
        #expect(writer.outbox.count == 0)
        let statistics = writer.statistics
        #expect(statistics.outboxed == 6 && statistics.replayed == 6 && statistics.written == 4)
        let first = try #require(try await store.call(sid: "CA1"))
        #expect(first.call.endReason == "twilio stop")
        #expect(try await store.call(sid: "CA2")?.turns.count == 2)
    }

    @Test func aFullQueueGoesToTheOutboxInsteadOfGrowing() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteCallStore(directory: directory)
        try await store.migrate()
        let writer = RecordWriter(store: store, outbox: try Outbox(directory: directory), queueLimit: 100, logger: Logger(label: "test"))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<250 {
            writer.submit(.event(CallEvent(callSid: "CA\(index / 10)", sequence: index % 10, at: start, kind: "test", detail: "")))
        }
        #expect(writer.statistics.maximumQueueDepth <= 100)
        #expect(writer.outbox.count == 200)
        #expect(await writer.flush())
        #expect(writer.outbox.count == 0)
        #expect(try await store.call(sid: "CA24") == nil)  // events alone make no call row
        let statistics = writer.statistics
        #expect(statistics.replayed + statistics.written == 250)
    }

    @Test func aTornLastLineInTheOutboxIsSkippedAndReported() throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = try Outbox(directory: directory)
        try outbox.append(TestStores.call("CA9", at: Date(timeIntervalSince1970: 1_800_000_000), ended: false))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outbox.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"call":{"callSid":"CA"#.utf8))
        try handle.close()
        let loaded = try outbox.load()
        #expect(loaded.records.count == 4)
        #expect(loaded.damagedLines == 1)
    }
}
