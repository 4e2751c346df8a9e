import Foundation
import GRDB

/// The embedded default: a SQLite file in the data directory, in WAL mode (readers never wait
/// for the writer), through GRDB.
public final class SQLiteCallStore: CallStore {
    public var name: String { "sqlite" }
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating if needed) `calls.sqlite` in `directory`.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("calls.sqlite")
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    public func migrate() async throws {
        try await pool.write { db in
            try db.execute(sql: CallStoreSchema.createMigrationsTable)
            let applied = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM voice_relay_migrations") ?? 0
            for migration in CallStoreSchema.migrations(.sqlite) where migration.version > applied {
                for statement in migration.statements { try db.execute(sql: statement) }
                try db.execute(sql: "INSERT INTO voice_relay_migrations (version, applied_at_ms) VALUES (?, ?) ON CONFLICT (version) DO NOTHING",
                               arguments: [migration.version, Date().unixMilliseconds])
            }
        }
    }

    public func write(_ records: [StoreRecord]) async throws {
        let callSQL = CallStoreSchema.upsertCall { _ in "?" }
        let turnSQL = CallStoreSchema.upsertTurn { _ in "?" }
        let eventSQL = CallStoreSchema.upsertEvent { _ in "?" }
        try await pool.write { db in
            for record in records {
                switch record {
                case .call(let call):
                    try db.execute(sql: callSQL, arguments: StatementArguments(Self.values(call)))
                case .turn(let turn):
                    try db.execute(sql: turnSQL, arguments: StatementArguments(Self.values(turn)))
                case .event(let event):
                    try db.execute(sql: eventSQL, arguments: [event.callSid, event.sequence, event.at.unixMilliseconds, event.kind, event.detail])
                }
            }
        }
    }

    public func calls(since: Date?, limit: Int) async throws -> [CallRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(CallStoreSchema.callColumns.joined(separator: ", ")) FROM calls WHERE started_at_ms >= ? ORDER BY started_at_ms DESC LIMIT ?",
                             arguments: [since?.unixMilliseconds ?? 0, limit]).map(Self.call)
        }
    }

    public func call(sid: String) async throws -> CallDetail? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(CallStoreSchema.callColumns.joined(separator: ", ")) FROM calls WHERE call_sid = ?",
                                             arguments: [sid]) else { return nil }
            let turns = try Row.fetchAll(db, sql: "SELECT \(CallStoreSchema.turnColumns.joined(separator: ", ")) FROM turns WHERE call_sid = ? ORDER BY turn_index",
                                         arguments: [sid]).map(Self.turn)
            let events = try Row.fetchAll(db, sql: "SELECT \(CallStoreSchema.eventColumns.joined(separator: ", ")) FROM call_events WHERE call_sid = ? ORDER BY sequence",
                                          arguments: [sid]).map { row in
                CallEvent(callSid: row[0], sequence: row[1], at: Date(unixMilliseconds: row[2]), kind: row[3], detail: row[4])
            }
            return CallDetail(call: Self.call(row), turns: turns, events: events)
        }
    }

    public func close() async {
        try? pool.close()
    }

    static func values(_ call: CallRecord) -> [(any DatabaseValueConvertible)?] {
        [call.callSid, call.streamSid, call.tenant, call.caller, call.region, call.provider, call.endpoint,
         call.startedAt.unixMilliseconds, call.endedAt?.unixMilliseconds, call.endReason, call.framesIn, call.framesOut,
         call.framesLost, call.framesConcealed, call.bargeIns, call.reconnects, call.voiceToVoiceP50Ms, call.voiceToVoiceP95Ms, call.carrier]
    }

    static func values(_ turn: TurnRecord) -> [(any DatabaseValueConvertible)?] {
        [turn.callSid, turn.index, turn.speaker.rawValue, turn.startedAt.unixMilliseconds, turn.endedAt?.unixMilliseconds,
         turn.transcript, turn.interrupted, turn.audioPlayedMs]
    }

    static func call(_ row: Row) -> CallRecord {
        CallRecord(callSid: row[0], streamSid: row[1], tenant: row[2], caller: row[3], region: row[4], provider: row[5], endpoint: row[6],
                   startedAt: Date(unixMilliseconds: row[7]), endedAt: (row[8] as Int64?).map(Date.init(unixMilliseconds:)),
                   endReason: row[9], framesIn: row[10], framesOut: row[11], framesLost: row[12], framesConcealed: row[13],
                   bargeIns: row[14], reconnects: row[15], voiceToVoiceP50Ms: row[16], voiceToVoiceP95Ms: row[17], carrier: row[18])
    }

    static func turn(_ row: Row) -> TurnRecord {
        TurnRecord(callSid: row[0], index: row[1], speaker: TurnRecord.Speaker(rawValue: row[2]) ?? .caller,
                   startedAt: Date(unixMilliseconds: row[3]), endedAt: (row[4] as Int64?).map(Date.init(unixMilliseconds:)),
                   transcript: row[5], interrupted: row[6], audioPlayedMs: row[7])
    }
}
