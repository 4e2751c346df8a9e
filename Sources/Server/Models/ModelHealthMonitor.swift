import AudioPipeline
import Logging
import ServiceLifecycle
import Synchronization

/// Whether this instance's model upstream is answering, from real evidence: a probe that opens a
/// full session (WebSocket, `session.update`, and the model's confirmation within its set-up
/// timeout, so a peer that accepts TCP and then says nothing counts as down) and the outcome of
/// every call's own connect. Probes run when no call has connected successfully for a while.
public final class ModelHealthMonitor: Service, Sendable {
    public struct Status: Sendable, Equatable {
        public var isHealthy: Bool
        public var detail: String
    }

    private struct State {
        var status = Status(isHealthy: false, detail: "model not checked yet")
        var lastSuccess: ContinuousClock.Instant?
        var checked = false
    }

    private let model: any RealtimeModel
    private let fallback: (any RealtimeModel)?
    private let interval: Duration
    private let logger: Logger
    private let state = Mutex(State())
    private let wake = Doorbell()

    public init(model: any RealtimeModel, fallback: (any RealtimeModel)?, interval: Duration = .seconds(10), logger: Logger) {
        self.model = model
        self.fallback = fallback
        self.interval = interval
        self.logger = logger
    }

    public var status: Status { state.withLock { $0.status } }

    /// A call's connect succeeded or failed. A failure asks for a probe at once (one failed
    /// handshake may be that call's bad luck; the probe decides).
    public func callConnected(_ success: Bool) {
        if success {
            state.withLock {
                $0.lastSuccess = .now
                $0.status = Status(isHealthy: true, detail: "a call connected")
            }
        } else {
            wake.ring()
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled {
                let recent = state.withLock { $0.lastSuccess.map { ContinuousClock.now - $0 < interval } ?? false }
                if !recent { await probe() }
                // Sleep for an interval, or less when a call reports a failed connect.
                // A cancelled sleeper must not ring: that ring would end the next wait at once,
                // whose sleeper is then cancelled and rings, and the loop would spin for good.
                let sleeper = Task { [wake, interval] in
                    guard (try? await Task.sleep(for: interval)) != nil else { return }
                    wake.ring()
                }
                guard await wake.wait() else { sleeper.cancel(); return }
                sleeper.cancel()
            }
        } onGracefulShutdown: {
            self.wake.close()
        }
    }

    /// Opens and closes one session with the model (and with the fallback if the model fails).
    public func probe() async {
        let outcome: Status
        do {
            try await Self.openAndClose(model)
            outcome = Status(isHealthy: true, detail: "\(model.name) answered")
        } catch {
            if let fallback, (try? await Self.openAndClose(fallback)) != nil {
                outcome = Status(isHealthy: true, detail: "\(model.name) down (\(error)); its fallback answered")
            } else {
                outcome = Status(isHealthy: false, detail: "model \(model.name) unavailable: \(error)")
            }
        }
        let (previous, firstCheck) = state.withLock { state -> (Status, Bool) in
            defer {
                state.status = outcome
                state.checked = true
                if outcome.isHealthy { state.lastSuccess = .now }
            }
            return (state.status, !state.checked)
        }
        if firstCheck || previous.isHealthy != outcome.isHealthy {
            logger.notice(outcome.isHealthy ? "model upstream healthy" : "model upstream unhealthy",
                          metadata: ["detail": .string(outcome.detail)])
        }
    }

    private static func openAndClose(_ model: any RealtimeModel) async throws {
        let session = try await model.connect(delegate: ProbeDelegate())
        session.close()
    }
}

/// The probe's session hears nothing worth keeping.
private final class ProbeDelegate: RealtimeModelDelegate {
    func modelAudio(item: String, _ audio: UnsafeRawBufferPointer) {}
    func modelEvent(_ event: ModelEvent) {}
}
