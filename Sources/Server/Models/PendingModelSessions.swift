import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Model sessions opened when Twilio's webhook arrives, waiting for their media stream.
///
/// Twilio needs a moment after the webhook to open the media stream; connecting to the model
/// (TLS, `session.update`) in that moment takes it off the call's first words. Sessions are keyed
/// by CallSid. Since each may be a paid model session, they are bounded: no more wait than the
/// calls this instance could still take, and one that no stream claims within ``timeToLive``
/// is closed. What becomes of each is counted (`voice_relay_preopened_model_sessions_total`).
final class PendingModelSessions: Sendable {
    struct Opened: Sendable {
        let session: any RealtimeModelSession
        let delegate: ModelDelegateProxy
    }

    let timeToLive: Duration
    private let health: ModelHealthMonitor?
    private let metrics: RelayMetrics?
    /// Each waiting session's opening, the task that closes it when it is not claimed in time,
    /// and the event loop its socket lives on (nil: the model has no socket, like the local agent).
    private let entries = Mutex<[String: (opening: Task<Opened?, Never>, expiry: Task<Void, Never>, loop: (any EventLoop)?)]>([:])

    init(timeToLive: Duration = .seconds(15), health: ModelHealthMonitor?, metrics: RelayMetrics? = nil) {
        self.timeToLive = timeToLive
        self.health = health
        self.metrics = metrics
    }

    /// Starts connecting `model` for `callSid` (once per CallSid), unless `room` (the calls this
    /// instance could still take) is already spoken for by waiting sessions; returns whether it did.
    @discardableResult
    func open(callSid: String, model: any RealtimeModel, room: Int) -> Bool {
        let opened = entries.withLock { entries -> Bool in
            guard entries[callSid] == nil else { return true }
            guard entries.count < room else { return false }
            let (health, metrics) = (self.health, self.metrics)
            let loop: (any EventLoop)? = model.opensSocket ? MultiThreadedEventLoopGroup.singleton.next() : nil
            let opening = Task { () -> Opened? in
                let delegate = ModelDelegateProxy()
                let session = try? await ModelConnectionAffinity.$eventLoop.withValue(loop) { try await model.connect(delegate: delegate) }
                health?.callConnected(session != nil)
                if session == nil { metrics?.preopenedSession(outcome: "failed") }
                return session.map { Opened(session: $0, delegate: delegate) }
            }
            let timeToLive = self.timeToLive
            let expiry = Task { [weak self] in
                guard (try? await Task.sleep(for: timeToLive)) != nil else { return }
                self?.expire(callSid: callSid)
            }
            entries[callSid] = (opening, expiry, loop)
            return true
        }
        if !opened { metrics?.preopenedSession(outcome: "refused-capacity") }
        return opened
    }

    /// The event loop of the socket waiting for `callSid`, if one is: where its stream should run.
    func eventLoop(callSid: String) -> (any EventLoop)? {
        entries.withLock { $0[callSid]?.loop }
    }

    /// The session opened for `callSid`, if the webhook opened one and it connected.
    func take(callSid: String) async -> Opened? {
        guard let entry = entries.withLock({ $0.removeValue(forKey: callSid) }) else { return nil }
        entry.expiry.cancel()
        let opened = await entry.opening.value
        if opened != nil { metrics?.preopenedSession(outcome: "adopted") }
        return opened
    }

    private func expire(callSid: String) {
        guard let entry = entries.withLock({ $0.removeValue(forKey: callSid) }) else { return }
        metrics?.preopenedSession(outcome: "expired")
        Task { await entry.opening.value?.session.close() }
    }
}

/// A model delegate whose real receiver is attached later (when the call's pipeline exists).
/// Until then the model has nothing to say, and anything it says is dropped.
final class ModelDelegateProxy: RealtimeModelDelegate {
    private let target = Mutex<(any RealtimeModelDelegate)?>(nil)

    func attach(_ delegate: any RealtimeModelDelegate) { target.withLock { $0 = delegate } }

    func modelAudio(item: String, _ audio: UnsafeRawBufferPointer) {
        target.withLock { $0 }?.modelAudio(item: item, audio)
    }

    func modelEvent(_ event: ModelEvent) {
        target.withLock { $0 }?.modelEvent(event)
    }

    var hasPlaybackRoom: Bool { target.withLock { $0 }?.hasPlaybackRoom ?? true }
}
