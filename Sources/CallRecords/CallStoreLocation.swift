import Logging

/// Where a relay keeps its records: PostgreSQL when `DATABASE_URL` names one, else SQLite in
/// the data directory (which also holds the outbox either way).
public struct CallStoreLocation: Sendable {
    public var databaseURL: String?
    public var dataDirectory: String

    public init(databaseURL: String?, dataDirectory: String) {
        self.databaseURL = databaseURL.flatMap { $0.isEmpty ? nil : $0 }
        self.dataDirectory = dataDirectory
    }

    public func open(logger: Logger) throws -> any CallStore {
        if let databaseURL { return try PostgresCallStore(url: databaseURL, logger: logger) }
        return try SQLiteCallStore(directory: dataDirectory)
    }
}
