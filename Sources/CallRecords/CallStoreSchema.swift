import Foundation

/// The tables, their versioned migrations, and the upserts: plain SQL that SQLite, PostgreSQL,
/// CockroachDB and Neon all accept (`BIGINT`, `TEXT`, `DOUBLE PRECISION`, `BOOLEAN`,
/// `INSERT ... ON CONFLICT ... DO UPDATE`). Times are Unix milliseconds.
enum CallStoreSchema {
    /// The SQL spoken: where the two differ, PostgreSQL's statements say `IF NOT EXISTS`.
    enum Dialect {
        case sqlite
        case postgres
    }

    /// Each migration runs once, in order, in a transaction; every PostgreSQL statement is also
    /// safe to run twice, so a relay that finds a migration half-applied by another (regions share
    /// one database) finishes it harmlessly. SQLite checks and applies under one write lock, so it
    /// never finds one half-applied (and has no `ADD COLUMN IF NOT EXISTS`).
    static func migrations(_ dialect: Dialect) -> [(version: Int, statements: [String])] {
        [
            (1, createTables),
            // The carrier a call came through; calls recorded before carriers were told apart were Twilio's.
            (2, ["ALTER TABLE calls ADD COLUMN \(dialect == .postgres ? "IF NOT EXISTS " : "")carrier TEXT NOT NULL DEFAULT 'twilio'"]),
        ]
    }

    private static let createTables: [String] = [
            """
            CREATE TABLE IF NOT EXISTS calls (
                call_sid TEXT PRIMARY KEY, stream_sid TEXT NOT NULL, tenant TEXT NOT NULL, caller TEXT NOT NULL,
                region TEXT NOT NULL, provider TEXT NOT NULL, endpoint TEXT NOT NULL,
                started_at_ms BIGINT NOT NULL, ended_at_ms BIGINT, end_reason TEXT,
                frames_in BIGINT NOT NULL, frames_out BIGINT NOT NULL, frames_lost BIGINT NOT NULL,
                frames_concealed BIGINT NOT NULL, barge_ins BIGINT NOT NULL, reconnects BIGINT NOT NULL,
                voice_to_voice_p50_ms DOUBLE PRECISION, voice_to_voice_p95_ms DOUBLE PRECISION)
            """,
            "CREATE INDEX IF NOT EXISTS calls_started_at ON calls (started_at_ms)",
            """
            CREATE TABLE IF NOT EXISTS turns (
                call_sid TEXT NOT NULL, turn_index BIGINT NOT NULL, speaker TEXT NOT NULL,
                started_at_ms BIGINT NOT NULL, ended_at_ms BIGINT, transcript TEXT,
                interrupted BOOLEAN NOT NULL, audio_played_ms BIGINT,
                PRIMARY KEY (call_sid, turn_index))
            """,
            """
            CREATE TABLE IF NOT EXISTS call_events (
                call_sid TEXT NOT NULL, sequence BIGINT NOT NULL, at_ms BIGINT NOT NULL,
                kind TEXT NOT NULL, detail TEXT NOT NULL,
                PRIMARY KEY (call_sid, sequence))
            """,
    ]

    static let createMigrationsTable =
        "CREATE TABLE IF NOT EXISTS voice_relay_migrations (version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)"

    static let callColumns = ["call_sid", "stream_sid", "tenant", "caller", "region", "provider", "endpoint", "started_at_ms",
                              "ended_at_ms", "end_reason", "frames_in", "frames_out", "frames_lost", "frames_concealed",
                              "barge_ins", "reconnects", "voice_to_voice_p50_ms", "voice_to_voice_p95_ms", "carrier"]
    static let turnColumns = ["call_sid", "turn_index", "speaker", "started_at_ms", "ended_at_ms", "transcript", "interrupted",
                              "audio_played_ms"]
    static let eventColumns = ["call_sid", "sequence", "at_ms", "kind", "detail"]

    /// An upsert for `table`; `placeholder(n)` spells the n-th parameter (1-based) in the dialect.
    /// A row that already ended is never replaced by an older, unfinished version of itself,
    /// whatever order a retry or an outbox replay delivers them in.
    static func upsert(_ table: String, columns: [String], key: [String], keepFinished: Bool, placeholder: (Int) -> String) -> String {
        let values = columns.indices.map { placeholder($0 + 1) }.joined(separator: ", ")
        let updates = columns.filter { !key.contains($0) }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let guardFinished = keepFinished ? " WHERE \(table).ended_at_ms IS NULL OR excluded.ended_at_ms IS NOT NULL" : ""
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(values)) "
            + "ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(updates)\(guardFinished)"
    }

    static func upsertCall(_ placeholder: (Int) -> String) -> String {
        upsert("calls", columns: callColumns, key: ["call_sid"], keepFinished: true, placeholder: placeholder)
    }
    static func upsertTurn(_ placeholder: (Int) -> String) -> String {
        upsert("turns", columns: turnColumns, key: ["call_sid", "turn_index"], keepFinished: true, placeholder: placeholder)
    }
    static func upsertEvent(_ placeholder: (Int) -> String) -> String {
        upsert("call_events", columns: eventColumns, key: ["call_sid", "sequence"], keepFinished: false, placeholder: placeholder)
    }
}

extension Date {
    var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(unixMilliseconds: Int64) { self.init(timeIntervalSince1970: Double(unixMilliseconds) / 1000) }
}
