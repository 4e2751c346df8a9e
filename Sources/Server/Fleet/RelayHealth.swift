import Atomics

/// Whether this instance can take a new call right now, and if not, why: it is draining, its
/// model upstream is down, or it is at its call capacity. `/healthz`, the webhook and the
/// media-stream upgrade all ask it.
public final class RelayHealth: Sendable {
    public struct Status: Sendable, Equatable {
        public var canTakeCalls: Bool
        /// Why not (a short phrase for the health body, logs and `fly-replay` state).
        public var reason: String?
        /// The same as a short code (`draining`, `model-down`, `capacity`).
        public var code: String?

        public init(canTakeCalls: Bool, reason: String? = nil, code: String? = nil) {
            self.canTakeCalls = canTakeCalls
            self.reason = reason
            self.code = code
        }
    }

    public let registry: CallRegistry
    public let model: ModelHealthMonitor?
    private let draining = ManagedAtomic<Bool>(false)

    public init(registry: CallRegistry, model: ModelHealthMonitor?) {
        self.registry = registry
        self.model = model
    }

    public var isDraining: Bool { draining.load(ordering: .acquiring) }
    public func beginDraining() { draining.store(true, ordering: .releasing) }

    public var status: Status {
        if isDraining { return Status(canTakeCalls: false, reason: "draining", code: "draining") }
        if let model {
            let modelStatus = model.status
            if !modelStatus.isHealthy { return Status(canTakeCalls: false, reason: modelStatus.detail, code: "model-down") }
        }
        if registry.isFull {
            return Status(canTakeCalls: false, reason: "at capacity (\(registry.capacity) calls)", code: "capacity")
        }
        return Status(canTakeCalls: true)
    }
}
