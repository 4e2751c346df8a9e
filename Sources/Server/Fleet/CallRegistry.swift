import Synchronization

/// The media streams this instance is carrying: how many (for capacity and health), and a way
/// to end them all with a recorded reason when a drain runs out of time.
public final class CallRegistry: Sendable {
    /// One live stream. `end` asks it to end its call with `reason` and close its socket.
    final class Entry: Sendable {
        private let requestedEnd = Mutex<String?>(nil)
        private let closer: @Sendable (String) async -> Void

        init(closer: @escaping @Sendable (String) async -> Void) { self.closer = closer }

        /// Why the relay ended this stream, if it did.
        var endReason: String? { requestedEnd.withLock { $0 } }

        func end(reason: String) async {
            requestedEnd.withLock { $0 = $0 ?? reason }
            await closer(reason)
        }
    }

    public let capacity: Int
    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public var count: Int { entries.withLock { $0.count } }
    public var isFull: Bool { count >= capacity }

    func add(_ entry: Entry) { entries.withLock { $0[ObjectIdentifier(entry)] = entry } }
    func remove(_ entry: Entry) { entries.withLock { $0[ObjectIdentifier(entry)] = nil } }

    /// Ends every live stream; returns how many there were.
    @discardableResult
    public func endAll(reason: String) async -> Int {
        let live = entries.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for entry in live { group.addTask { await entry.end(reason: reason) } }
        }
        return live.count
    }

    /// Waits until no stream is live or `deadline` passes; returns whether it emptied.
    public func waitUntilEmpty(deadline: ContinuousClock.Instant) async -> Bool {
        while count > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return true
    }
}
