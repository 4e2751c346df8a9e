import AudioPipeline
import Synchronization

extension ModelSide {
    /// What the model sends a call: its audio goes into the call's outbound path (tagged with a
    /// small number per response item), its events into decisions.
    ///
    /// Everything sits behind one mutex: model audio arrives from one thread at a time, barge-in
    /// decisions from the call's event loop; the two meet only on a barge-in. The model's rare
    /// events (its closing, errors, transcripts) go to a handler the call sets, on the thread that
    /// reports them: no task waits for them through the whole call (a waiting task and its stream
    /// were ~3 KB of every call's memory).
    final class Replies: RealtimeModelDelegate {
        private struct State: ~Copyable {
            var producer: ModelAudioProducer
            var currentName: String?
            var currentID: UInt32 = 0
            /// Recent item names by number, for `conversation.item.truncate` (a handful is plenty).
            var names: [UInt32: String] = [:]
            var discarding = Discard.nothing
            /// A response is in progress: `response.created` (or its first audio) until `response.done`.
            var responseActive = false
            /// Audio of the response in progress has arrived.
            var responseHasAudio = false
            /// A `response.cancel` was sent for the response in progress.
            var cancelSent = false

            /// A response began (`active`) or the last one ended: either way a cancelled response's
            /// audio is no longer coming.
            mutating func newResponse(active: Bool) {
                responseActive = active
                responseHasAudio = false
                cancelSent = false
                if case .responseInProgress = discarding { discarding = .nothing }
            }
        }

        /// What model audio is dropped after the caller interrupted.
        private enum Discard {
            case nothing
            /// The rest of an item whose response had already ended.
            case item(String)
            /// Everything until the cancelled response ends.
            case responseInProgress
        }

        private let state: Mutex<State>
        private let pipeline: any CallPipelineControl
        /// The call's handler of the rare model events, called with the lock held so that once
        /// ``finish()`` returns none is running or will run.
        private let rareEventHandler = Mutex<(@Sendable (ModelEvent) -> Void)?>(nil)

        init(producer: sending ModelAudioProducer, pipeline: any CallPipelineControl) {
            self.state = Mutex(State(producer: producer))
            self.pipeline = pipeline
        }

        /// Sets what happens on the model closing, an error or a transcript (before the model
        /// connects, so none is missed). It runs with a lock held: it must be quick, and must not
        /// deliver another model event to these replies.
        func handleRareEvents(_ handler: @escaping @Sendable (ModelEvent) -> Void) {
            rareEventHandler.withLock { $0 = handler }
        }

        /// The call is over: no more rare events are handled (and the handler, which holds the
        /// call's objects, is let go).
        func finish() {
            finished.store(true, ordering: .releasing)
            rareEventHandler.withLock { $0 = nil }
        }

        /// Most model audio held for the pacer before the model's socket stops being read (the ring
        /// holds 640 ms; the pacer needs only its 60 ms lead, the rest waits in TCP's buffers).
        static let backlogLimitMs = 200
        private let finished = Atomic<Bool>(false)

        var hasPlaybackRoom: Bool { pipeline.outboundBacklogMs <= Self.backlogLimitMs || finished.load(ordering: .acquiring) }

        func modelAudio(item: String, _ audio: UnsafeRawBufferPointer) {
            state.withLock { state in
                switch state.discarding {
                case .responseInProgress: return
                case .item(let cut) where cut == item: return
                case .item, .nothing: break
                }
                state.responseActive = true
                state.responseHasAudio = true
                var arrivalNs: UInt64 = 0
                if item != state.currentName {
                    state.discarding = .nothing
                    state.currentID &+= 1
                    state.currentName = item
                    state.names[state.currentID] = item
                    state.names[state.currentID &- 8] = nil
                    arrivalNs = MonotonicClock.nowNs()
                }
                state.producer.append(audio, item: state.currentID, arrivalNs: arrivalNs)
            }
        }

        func modelEvent(_ event: ModelEvent) {
            switch event {
            case .responseStarted:
                state.withLock { $0.newResponse(active: true) }
            case .audioDone:
                state.withLock { $0.producer.finishItem() }
            case .responseEnded:
                state.withLock { $0.newResponse(active: false) }
            case .speechStarted:
                // The model's own VAD heard the caller: same reaction as ours.
                pipeline.requestFlush()
            case .transcript, .error, .closed:
                rareEventHandler.withLock { $0?(event) }
            }
        }

        /// Where the model's response stands when the caller starts speaking.
        struct ResponseState: Equatable {
            /// A response is in progress and not yet cancelled.
            var inProgress: Bool
            /// ...and some of its audio has arrived.
            var hasAudio: Bool
        }

        var response: ResponseState {
            state.withLock { ResponseState(inProgress: $0.responseActive && !$0.cancelSent, hasAudio: $0.responseHasAudio) }
        }

        /// The caller spoke over the agent: forget the partial frame and drop what is still coming
        /// of the current response. Returns whether a `response.cancel` is due (a response is in
        /// progress and none was sent for it yet): so at most one per response.
        func interruptResponse() -> Bool {
            state.withLock { state in
                state.producer.discardPartial()
                guard state.responseActive else {
                    state.discarding = state.currentName.map { .item($0) } ?? .nothing
                    return false
                }
                state.discarding = .responseInProgress
                defer { state.cancelSent = true }
                return !state.cancelSent
            }
        }

        func itemName(for id: UInt32) -> String? {
            state.withLock { $0.names[id] }
        }
    }
}
