import Foundation
import Synchronization

/// Records the database could not take, kept on local disk until it can: one JSON object per
/// line, appended and fsync'd before the writer moves on, so a crash loses nothing written here.
/// A torn last line (a crash mid-append) is skipped on reading and reported.
public final class Outbox: Sendable {
    public let path: String
    private let lock = Mutex<Int>(0)  // records in the file

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("outbox.jsonl")
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CallStoreError("cannot create the outbox at \(path)")
            }
        }
        let existing = try Self.read(path).records.count
        lock.withLock { $0 = existing }
    }

    /// Records waiting in the outbox.
    public var count: Int { lock.withLock { $0 } }

    public func append(_ records: [StoreRecord]) throws {
        guard !records.isEmpty else { return }
        let encoder = JSONEncoder()
        var data = Data()
        for record in records {
            data.append(try encoder.encode(record))
            data.append(0x0A)
        }
        try lock.withLock { count in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
            try handle.synchronize()
            count += records.count
        }
    }

    /// Everything in the outbox, oldest first.
    public func load() throws -> (records: [StoreRecord], damagedLines: Int) {
        try lock.withLock { _ in try Self.read(path) }
    }

    /// Empties the outbox once its records are safely in the database.
    public func clear() throws {
        try lock.withLock { count in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.truncate(atOffset: 0)
            try handle.synchronize()
            count = 0
        }
    }

    private static func read(_ path: String) throws -> (records: [StoreRecord], damagedLines: Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        var records: [StoreRecord] = []
        var damaged = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            if let record = try? decoder.decode(StoreRecord.self, from: Data(line)) {
                records.append(record)
            } else {
                damaged += 1
            }
        }
        return (records, damaged)
    }
}
