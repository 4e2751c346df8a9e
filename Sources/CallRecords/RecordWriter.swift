import Logging
import ServiceLifecycle
import Synchronization

/// Takes call records from the call path and writes them to the store in batches, without ever
/// making a call wait: ``submit(_:)`` appends to an in-memory queue and returns.
///
/// When the store fails (or does not answer within ``writeTimeout``), the batch and everything
/// queued behind it go to the durable ``Outbox`` and the queue is empty again, so memory stays
/// bounded however long the database is away. Each round first replays the outbox, oldest first;
/// once it is in, the outbox is cleared. Writes are idempotent upserts, so a batch that did reach
/// the database before a timeout and is then replayed does not duplicate anything.
public final class RecordWriter: Service, Sendable {
    public struct Statistics: Sendable, Equatable {
        public var submitted = 0
        public var written = 0
        public var outboxed = 0
        public var replayed = 0
        public var queueDepth = 0
        public var maximumQueueDepth = 0
        public var failures = 0
    }

    public let store: any CallStore
    public let outbox: Outbox
    private let batchSize: Int
    private let queueLimit: Int
    private let flushInterval: Duration
    private let retryInterval: Duration
    private let writeTimeout: Duration
    private let logger: Logger
    private let state = Mutex<(queue: [StoreRecord], statistics: Statistics)>(([], Statistics()))
    /// The schema is brought up to date before the first write (retried until the store answers).
    private let migrated = Atomic<Bool>(false)

    public init(store: any CallStore, outbox: Outbox, batchSize: Int = 500, queueLimit: Int = 50_000,
                flushInterval: Duration = .milliseconds(100), retryInterval: Duration = .seconds(1),
                writeTimeout: Duration = .seconds(5), logger: Logger) {
        self.store = store
        self.outbox = outbox
        self.batchSize = batchSize
        self.queueLimit = queueLimit
        self.flushInterval = flushInterval
        self.retryInterval = retryInterval
        self.writeTimeout = writeTimeout
        self.logger = logger
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Queues a record (never blocks on the database). Past ``queueLimit`` the queue is moved
    /// to the outbox on the spot rather than grown.
    public func submit(_ record: StoreRecord) {
        let overflow = state.withLock { state -> [StoreRecord]? in
            state.queue.append(record)
            state.statistics.submitted += 1
            state.statistics.queueDepth = state.queue.count
            state.statistics.maximumQueueDepth = max(state.statistics.maximumQueueDepth, state.queue.count)
            guard state.queue.count >= queueLimit else { return nil }
            defer { state.queue.removeAll(keepingCapacity: true) }
            return state.queue
        }
        if let overflow { spill(overflow, reason: "queue limit reached") }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let healthy = await self.flush()
                try? await Task.sleep(for: healthy ? self.flushInterval : self.retryInterval)
            }
        }
        // Shutting down: one last attempt, and whatever fails stays in the outbox.
        _ = await flush()
    }

    /// Writes the outbox, then the queue; returns false when the store failed.
    @discardableResult
    public func flush() async -> Bool {
        if !migrated.load(ordering: .acquiring) {
            do {
                try await withTimeout { try await $0.migrate() }
                migrated.store(true, ordering: .releasing)
            } catch {
                noteFailure(error)
                return spillQueue()
            }
        }
        if outbox.count > 0 {
            guard await replayOutbox() else { return spillQueue() }
        }
        while true {
            let batch = state.withLock { state -> [StoreRecord] in
                let batch = Array(state.queue.prefix(batchSize))
                state.queue.removeFirst(batch.count)
                state.statistics.queueDepth = state.queue.count
                return batch
            }
            guard !batch.isEmpty else { return true }
            do {
                try await writeWithTimeout(batch)
                state.withLock { $0.statistics.written += batch.count }
            } catch {
                noteFailure(error)
                spill(batch, reason: "store unavailable")
                return spillQueue()
            }
        }
    }

    private func replayOutbox() async -> Bool {
        do {
            let (records, damaged) = try outbox.load()
            if damaged > 0 { logger.error("outbox lines that could not be read were skipped", metadata: ["lines": .stringConvertible(damaged)]) }
            var start = 0
            while start < records.count {
                let end = min(start + batchSize, records.count)
                try await writeWithTimeout(Array(records[start..<end]))
                start = end
            }
            try outbox.clear()
            state.withLock { $0.statistics.replayed += records.count }
            logger.notice("outbox replayed into the store", metadata: ["records": .stringConvertible(records.count)])
            return true
        } catch {
            noteFailure(error)
            return false
        }
    }

    /// Moves everything queued to the outbox (the store is down); returns false.
    private func spillQueue() -> Bool {
        let queued = state.withLock { state -> [StoreRecord] in
            defer {
                state.queue.removeAll(keepingCapacity: true)
                state.statistics.queueDepth = 0
            }
            return state.queue
        }
        spill(queued, reason: "store unavailable")
        return false
    }

    private func spill(_ records: [StoreRecord], reason: String) {
        guard !records.isEmpty else { return }
        do {
            try outbox.append(records)
            state.withLock { $0.statistics.outboxed += records.count }
        } catch {
            // The disk refuses too: keep them in memory (the queue) rather than drop them.
            logger.critical("the outbox cannot be written; records stay in memory", metadata: ["error": .string("\(error)")])
            state.withLock { state in
                state.queue.insert(contentsOf: records, at: 0)
                state.statistics.queueDepth = state.queue.count
            }
        }
        logger.debug("records moved to the outbox", metadata: ["records": .stringConvertible(records.count), "reason": .string(reason)])
    }

    private func noteFailure(_ error: any Error) {
        let first = state.withLock { state -> Bool in
            state.statistics.failures += 1
            return state.statistics.failures == 1
        }
        logger.log(level: first ? .error : .warning, "call store write failed", metadata: ["store": .string(store.name), "error": .string("\(error)")])
    }

    /// The store's write, given up on after ``writeTimeout``. A write that ignores cancellation
    /// (a connection pool waiting on a dead server) is left to finish on its own rather than
    /// holding up the writer; if it does land later, the replay's upserts make that harmless.
    private func writeWithTimeout(_ batch: [StoreRecord]) async throws {
        try await withTimeout { try await $0.write(batch) }
    }

    private func withTimeout(_ operation: @escaping @Sendable (any CallStore) async throws -> Void) async throws {
        let store = self.store
        let outcome = WriteOutcome()
        let write = Task {
            do {
                try await operation(store)
                outcome.finish(nil)
            } catch {
                outcome.finish(error)
            }
        }
        let timer = Task { [writeTimeout] in
            guard (try? await Task.sleep(for: writeTimeout)) != nil else { return }
            outcome.finish(CallStoreError("the store did not answer within \(writeTimeout)"))
            write.cancel()
        }
        defer { timer.cancel() }
        if let error = await outcome.value { throw error }
    }
}

/// The first of a write's completion and its timeout.
private final class WriteOutcome: Sendable {
    private let state = Mutex<(error: (any Error)??, waiter: CheckedContinuation<(any Error)?, Never>?)>((nil, nil))

    func finish(_ error: (any Error)?) {
        let waiter = state.withLock { state -> CheckedContinuation<(any Error)?, Never>? in
            guard state.error == nil else { return nil }
            state.error = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: error)
    }

    var value: (any Error)? {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> (any Error)?? in
                    if let error = state.error { return .some(error) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
