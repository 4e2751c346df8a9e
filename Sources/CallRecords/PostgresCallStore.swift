import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// PostgreSQL (and what speaks its protocol: Fly Postgres, Neon, CockroachDB) through
/// postgres-nio's connection pool, for deployments whose regions share one database.
/// Configured by a `postgres://user:password@host:port/database[?sslmode=...]` URL.
public final class PostgresCallStore: CallStore {
    public var name: String { "postgres" }
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    /// The pool runs on an event loop of its own: whatever the database does (refused
    /// connections, reconnect storms, slow queries) stays off the loops that carry calls.
    private let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    public init(url: String, logger: Logger) throws {
        client = PostgresClient(configuration: try Self.configuration(url: url), eventLoopGroup: eventLoopGroup, backgroundLogger: logger)
        let client = self.client
        runner = Task { await client.run() }
        self.logger = logger
    }

    /// Reads a `postgres://` URL; `sslmode=disable` turns TLS off, `require` insists on it,
    /// anything else uses TLS when the server offers it.
    static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw CallStoreError("DATABASE_URL must look like postgres://user:password@host:5432/database")
        }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        let database = components.path.split(separator: "/").first.map(String.init)
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.maximumConnections = 4
        return configuration
    }

    /// Two relays starting at once may both create the same table; PostgreSQL then fails one of
    /// them (a catalog unique violation, even with `IF NOT EXISTS`). The loser tries again and
    /// finds the work done.
    public func migrate() async throws {
        for attempt in 1...3 {
            do {
                return try await migrateOnce()
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" && attempt < 3 {
                try await Task.sleep(for: .milliseconds(100 * attempt))
            } catch let error as PostgresTransactionError where attempt < 3 {
                guard let cause = error.closureError as? PSQLError, cause.serverInfo?[.sqlState] == "23505" else { throw error }
                try await Task.sleep(for: .milliseconds(100 * attempt))
            }
        }
    }

    private func migrateOnce() async throws {
        try await client.query(PostgresQuery(unsafeSQL: CallStoreSchema.createMigrationsTable), logger: logger)
        let rows = try await client.query("SELECT COALESCE(MAX(version), 0)::BIGINT FROM voice_relay_migrations", logger: logger)
        var applied = 0
        for try await row in rows { applied = try row.makeRandomAccess()[0].decode(Int.self) }
        for migration in CallStoreSchema.migrations(.postgres) where migration.version > applied {
            try await client.withTransaction(logger: logger) { connection in
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO voice_relay_migrations (version, applied_at_ms) VALUES (\(migration.version), \(Int(Date().unixMilliseconds))) ON CONFLICT (version) DO NOTHING",
                    logger: logger)
            }
        }
    }

    public func write(_ records: [StoreRecord]) async throws {
        let callSQL = CallStoreSchema.upsertCall { "$\($0)" }
        let turnSQL = CallStoreSchema.upsertTurn { "$\($0)" }
        let eventSQL = CallStoreSchema.upsertEvent { "$\($0)" }
        try await client.withTransaction(logger: logger) { connection in
            for record in records {
                var binds = PostgresBindings()
                let sql: String
                switch record {
                case .call(let call):
                    sql = callSQL
                    binds.append(call.callSid)
                    binds.append(call.streamSid)
                    binds.append(call.tenant)
                    binds.append(call.caller)
                    binds.append(call.region)
                    binds.append(call.provider)
                    binds.append(call.endpoint)
                    binds.append(Int(call.startedAt.unixMilliseconds))
                    binds.append(call.endedAt.map { Int($0.unixMilliseconds) })
                    binds.append(call.endReason)
                    for value in [call.framesIn, call.framesOut, call.framesLost, call.framesConcealed, call.bargeIns, call.reconnects] {
                        binds.append(value)
                    }
                    binds.append(call.voiceToVoiceP50Ms)
                    binds.append(call.voiceToVoiceP95Ms)
                    binds.append(call.carrier)
                case .turn(let turn):
                    sql = turnSQL
                    binds.append(turn.callSid)
                    binds.append(turn.index)
                    binds.append(turn.speaker.rawValue)
                    binds.append(Int(turn.startedAt.unixMilliseconds))
                    binds.append(turn.endedAt.map { Int($0.unixMilliseconds) })
                    binds.append(turn.transcript)
                    binds.append(turn.interrupted)
                    binds.append(turn.audioPlayedMs)
                case .event(let event):
                    sql = eventSQL
                    binds.append(event.callSid)
                    binds.append(event.sequence)
                    binds.append(Int(event.at.unixMilliseconds))
                    binds.append(event.kind)
                    binds.append(event.detail)
                }
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            }
        }
    }

    public func calls(since: Date?, limit: Int) async throws -> [CallRecord] {
        let sql = "SELECT \(CallStoreSchema.callColumns.joined(separator: ", ")) FROM calls WHERE started_at_ms >= $1 ORDER BY started_at_ms DESC LIMIT $2"
        var binds = PostgresBindings()
        binds.append(Int(since?.unixMilliseconds ?? 0))
        binds.append(limit)
        var calls: [CallRecord] = []
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            calls.append(try Self.call(row.makeRandomAccess()))
        }
        return calls
    }

    public func call(sid: String) async throws -> CallDetail? {
        var binds = PostgresBindings()
        binds.append(sid)
        var found: CallRecord?
        let callSQL = "SELECT \(CallStoreSchema.callColumns.joined(separator: ", ")) FROM calls WHERE call_sid = $1"
        for try await row in try await client.query(PostgresQuery(unsafeSQL: callSQL, binds: binds), logger: logger) {
            found = try Self.call(row.makeRandomAccess())
        }
        guard let call = found else { return nil }
        var turns: [TurnRecord] = []
        let turnSQL = "SELECT \(CallStoreSchema.turnColumns.joined(separator: ", ")) FROM turns WHERE call_sid = $1 ORDER BY turn_index"
        for try await row in try await client.query(PostgresQuery(unsafeSQL: turnSQL, binds: binds), logger: logger) {
            let cells = row.makeRandomAccess()
            turns.append(TurnRecord(
                callSid: try cells[0].decode(String.self), index: try cells[1].decode(Int.self),
                speaker: TurnRecord.Speaker(rawValue: try cells[2].decode(String.self)) ?? .caller,
                startedAt: Date(unixMilliseconds: Int64(try cells[3].decode(Int.self))),
                endedAt: try cells[4].decode(Int?.self).map { Date(unixMilliseconds: Int64($0)) },
                transcript: try cells[5].decode(String?.self), interrupted: try cells[6].decode(Bool.self),
                audioPlayedMs: try cells[7].decode(Int?.self)))
        }
        var events: [CallEvent] = []
        let eventSQL = "SELECT \(CallStoreSchema.eventColumns.joined(separator: ", ")) FROM call_events WHERE call_sid = $1 ORDER BY sequence"
        for try await row in try await client.query(PostgresQuery(unsafeSQL: eventSQL, binds: binds), logger: logger) {
            let cells = row.makeRandomAccess()
            events.append(CallEvent(callSid: try cells[0].decode(String.self), sequence: try cells[1].decode(Int.self),
                                    at: Date(unixMilliseconds: Int64(try cells[2].decode(Int.self))),
                                    kind: try cells[3].decode(String.self), detail: try cells[4].decode(String.self)))
        }
        return CallDetail(call: call, turns: turns, events: events)
    }

    public func close() async {
        runner.cancel()
        await runner.value
        try? await eventLoopGroup.shutdownGracefully()
    }

    static func call(_ cells: PostgresRandomAccessRow) throws -> CallRecord {
        CallRecord(
            callSid: try cells[0].decode(String.self), streamSid: try cells[1].decode(String.self), tenant: try cells[2].decode(String.self),
            caller: try cells[3].decode(String.self), region: try cells[4].decode(String.self), provider: try cells[5].decode(String.self),
            endpoint: try cells[6].decode(String.self), startedAt: Date(unixMilliseconds: Int64(try cells[7].decode(Int.self))),
            endedAt: try cells[8].decode(Int?.self).map { Date(unixMilliseconds: Int64($0)) }, endReason: try cells[9].decode(String?.self),
            framesIn: try cells[10].decode(Int.self), framesOut: try cells[11].decode(Int.self), framesLost: try cells[12].decode(Int.self),
            framesConcealed: try cells[13].decode(Int.self), bargeIns: try cells[14].decode(Int.self), reconnects: try cells[15].decode(Int.self),
            voiceToVoiceP50Ms: try cells[16].decode(Double?.self), voiceToVoiceP95Ms: try cells[17].decode(Double?.self),
            carrier: try cells[18].decode(String.self))
    }
}
