import Foundation
import Synchronization

/// Model sessions opened when Twilio's webhook arrives, waiting for their media stream.
///
/// Twilio needs a moment after the webhook to open the media stream; connecting to the model
/// (TLS, `session.update`) in that moment takes it off the call's first words. Sessions are keyed
/// by CallSid and closed if no stream claims them within ``timeToLive``.
final class PendingModelSessions: Sendable {
    struct Opened: Sendable {
        let session: any RealtimeModelSession
        let delegate: ModelDelegateProxy
    }

    private struct Entry {
        let opening: Task<Opened?, Never>
        let created: ContinuousClock.Instant
    }

    let timeToLive: Duration
    private let health: ModelHealthMonitor?
    private let entries = Mutex<[String: Entry]>([:])

    init(timeToLive: Duration = .seconds(15), health: ModelHealthMonitor?) {
        self.timeToLive = timeToLive
        self.health = health
    }

    /// Starts connecting `model` for `callSid` (once per CallSid).
    func open(callSid: String, model: any RealtimeModel) {
        let now = ContinuousClock.now
        let expired = entries.withLock { entries -> [Entry] in
            let stale = entries.filter { now - $0.value.created > timeToLive }
            for key in stale.keys { entries[key] = nil }
            guard entries[callSid] == nil else { return Array(stale.values) }
            let opening = Task { [health] () -> Opened? in
                let delegate = ModelDelegateProxy()
                let session = try? await model.connect(delegate: delegate)
                health?.callConnected(session != nil)
                return session.map { Opened(session: $0, delegate: delegate) }
            }
            entries[callSid] = Entry(opening: opening, created: now)
            return Array(stale.values)
        }
        for entry in expired {
            Task { await entry.opening.value?.session.close() }
        }
    }

    /// The session opened for `callSid`, if the webhook opened one and it connected.
    func take(callSid: String) async -> Opened? {
        guard let entry = entries.withLock({ $0.removeValue(forKey: callSid) }) else { return nil }
        return await entry.opening.value
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
