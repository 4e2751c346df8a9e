import Synchronization

/// Where a pipeline's control events go: the owner's handler, given at
/// ``CallPipeline/start(modelSink:callerSink:events:)`` and called on the thread the event
/// happens on (the network thread for speech, the playout's thread for a flush) until the
/// pipeline stops.
///
/// A handler rather than a stream the owner's task waits on: such a task is ~2.5 KB of every
/// call's memory, for a few events a minute. The handler runs with a lock held, so once
/// ``close()`` returns none is running or will run; it must be quick and must not call back into
/// the pipeline (an owner that acts on an event hands it to its own executor first).
final class PipelineEventRelay: Sendable {
    private let handler = Mutex<(@Sendable (PipelineEvent) -> Void)?>(nil)

    func open(_ handler: @escaping @Sendable (PipelineEvent) -> Void) {
        self.handler.withLock { $0 = handler }
    }

    func post(_ event: PipelineEvent) {
        handler.withLock { $0?(event) }
    }

    func close() {
        handler.withLock { $0 = nil }
    }
}
