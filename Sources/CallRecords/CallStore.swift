import Foundation

/// Where call records live: the seam between the relay and its database.
///
/// Writes are idempotent upserts keyed by the records' own ids, so a batch written twice (a
/// retry after a timeout, an outbox replayed after a crash) leaves the same rows as once.
public protocol CallStore: Sendable {
    /// A short name for logs ("sqlite", "postgres").
    var name: String { get }
    /// Brings the schema up to the newest version (versioned, each step once).
    func migrate() async throws
    /// Writes a batch in one transaction: all of it or none.
    func write(_ records: [StoreRecord]) async throws
    /// Calls started at or after `since`, newest first.
    func calls(since: Date?, limit: Int) async throws -> [CallRecord]
    func call(sid: String) async throws -> CallDetail?
    func close() async
}

public struct CallStoreError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
