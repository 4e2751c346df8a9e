import Atomics
import AudioPipeline
import Logging
import NIOCore
import Synchronization

extension ModelSide {
    /// A call's connection to its model, kept up for the whole call: if the model side drops
    /// mid-call, it reconnects with bounded back-off (100, 400, 1,600 ms), then tries the fallback
    /// model if one is configured, and the call carries on; caller audio that arrives while no session
    /// is up is dropped and counted.
    final class Connection: ModelAudioSink {
        private let model: any RealtimeModel
        private let fallback: (any RealtimeModel)?
        private let replies: Replies
        private let health: ModelHealthMonitor?
        private let metrics: RelayMetrics?
        private let logger: Logger
        private let session = Mutex<(any RealtimeModelSession)?>(nil)
        private let ending = ManagedAtomic<Bool>(false)
        /// Reconnections that succeeded, and caller frames dropped while disconnected.
        let reconnects = ManagedAtomic<Int>(0)
        let framesDroppedWhileDown = ManagedAtomic<Int>(0)

        static let backoff: [Duration] = [.milliseconds(100), .milliseconds(400), .milliseconds(1600)]

        /// The call's Twilio socket's event loop: model sockets are opened on it.
        private let eventLoop: (any EventLoop)?
        /// The conversation so far, which a session opened after a drop is given.
        private let history: @Sendable () -> [ConversationTurn]

        init(model: any RealtimeModel, fallback: (any RealtimeModel)?, replies: Replies, health: ModelHealthMonitor?,
             metrics: RelayMetrics?, eventLoop: (any EventLoop)? = nil, history: @escaping @Sendable () -> [ConversationTurn] = { [] },
             logger: Logger) {
            self.eventLoop = eventLoop
            self.history = history
            self.metrics = metrics
            self.model = model
            self.fallback = fallback
            self.replies = replies
            self.health = health
            self.logger = logger
        }

        /// Connects to the primary model, or to the fallback if the primary fails.
        func connect() async throws {
            do {
                try await connect(to: model)
            } catch {
                guard let fallback else { throw error }
                logger.warning("primary model unavailable, using the fallback", metadata: ["error": .string("\(error)")])
                try await connect(to: fallback)
            }
        }

        private func connect(to model: any RealtimeModel) async throws {
            let opened: any RealtimeModelSession
            let started = ContinuousClock.now
            do {
                opened = try await ModelConnectionAffinity.$eventLoop.withValue(eventLoop) { try await model.connect(delegate: replies) }
            } catch {
                health?.callConnected(false)
                throw error
            }
            health?.callConnected(true)
            metrics?.modelConnect.record(ContinuousClock.now - started)
            session.withLock { $0 = opened }
        }

        /// Adopts a session opened earlier (at the webhook) instead of connecting now.
        func adopt(_ opened: PendingModelSessions.Opened) {
            opened.delegate.attach(replies)
            session.withLock { $0 = opened.session }
        }

        func sendToModel(_ audio: UnsafeRawBufferPointer) {
            let sent = session.withLock { session -> Bool in
                guard let session else { return false }
                session.appendAudio(audio)
                return true
            }
            if !sent { framesDroppedWhileDown.wrappingIncrement(ordering: .relaxed) }
        }

        func truncate(item: String, audioEndMs: Int) { session.withLock { $0?.truncate(item: item, audioEndMs: audioEndMs) } }
        func cancelResponse() { session.withLock { $0?.cancelResponse() } }
        func sendDigit(_ digit: String) { session.withLock { $0?.sendDigit(digit) } }

        /// A session opened after a drop carries on the conversation.
        private func restoreHistory() {
            let turns = history()
            guard !turns.isEmpty else { return }
            session.withLock { $0?.restore(history: turns) }
            logger.info("conversation restored", metadata: ["turns": .stringConvertible(turns.count)])
        }

        /// The call is ending: the model closing now is expected.
        var isEnding: Bool { ending.load(ordering: .acquiring) }

        /// The reconnection under way, if any.
        private let reconnection = Mutex<Task<Void, Never>?>(nil)

        /// The model side closed: reconnects in a task of its own, after any reconnection already
        /// under way, then tells `report` whether a session is up again. A task exists only once a
        /// model has dropped (rarely), not for the whole of every call.
        func reconnect(after reason: String, then report: @escaping @Sendable (Bool) -> Void) {
            reconnection.withLock { running in
                let previous = running
                running = Task {
                    await previous?.value
                    report(await self.modelClosed(reason: reason))
                }
            }
        }

        /// Waits until no reconnection is under way (after ``close()`` one gives up at its next step).
        func reconnectionsFinished() async {
            await reconnection.withLock { $0 }?.value
        }

        /// The model side closed. Unless the call is ending, reconnect; returns whether a session is up again.
        private func modelClosed(reason: String) async -> Bool {
            guard !ending.load(ordering: .acquiring) else { return false }
            session.withLock { $0 = nil }
            logger.warning("model connection lost", metadata: ["reason": .string(reason)])
            for (attempt, delay) in Self.backoff.enumerated() {
                try? await Task.sleep(for: delay)
                guard !ending.load(ordering: .acquiring) else { return false }
                do {
                    try await connect(to: model)
                    restoreHistory()
                    reconnects.wrappingIncrement(ordering: .relaxed)
                    logger.info("model reconnected", metadata: ["attempt": .stringConvertible(attempt + 1)])
                    return true
                } catch {
                    logger.warning("model reconnect failed", metadata: ["attempt": .stringConvertible(attempt + 1), "error": .string("\(error)")])
                }
            }
            if let fallback, !ending.load(ordering: .acquiring), (try? await connect(to: fallback)) != nil {
                restoreHistory()
                reconnects.wrappingIncrement(ordering: .relaxed)
                logger.warning("switched to the fallback model", metadata: ["model": .string(fallback.name)])
                return true
            }
            logger.error("model unreachable; the call continues without a model")
            return false
        }

        func close() {
            ending.store(true, ordering: .releasing)
            let current = session.withLock { session -> (any RealtimeModelSession)? in
                defer { session = nil }
                return session
            }
            current?.close()
        }
    }
}
