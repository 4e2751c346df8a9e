import Logging
import ServiceLifecycle

/// Graceful drain on SIGTERM (what `fly deploy` sends): stop taking calls at once (health turns
/// 503 and new requests are replayed elsewhere), let the calls in progress finish until the
/// deadline, then end the rest with a recorded reason. It runs before the HTTP server shuts down
/// (the service group stops services in reverse order), so replays keep being answered.
public struct CallDrain: Service {
    let health: RelayHealth
    let deadline: Duration
    let logger: Logger

    public init(health: RelayHealth, deadline: Duration, logger: Logger) {
        self.health = health
        self.deadline = deadline
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the process is going down without a drain
        }
        health.beginDraining()
        let registry = health.registry
        let started = ContinuousClock.now
        logger.notice("draining: no new calls", metadata: ["callsInProgress": .stringConvertible(registry.count),
                                                           "deadlineSeconds": .stringConvertible(deadline.components.seconds)])
        if await registry.waitUntilEmpty(deadline: started + deadline) {
            logger.notice("drained: every call finished", metadata: ["seconds": .stringConvertible(Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000)])
            return
        }
        let ended = await registry.endAll(reason: "drain deadline")
        logger.warning("drain deadline reached: ended the calls still in progress", metadata: ["ended": .stringConvertible(ended)])
        _ = await registry.waitUntilEmpty(deadline: .now + .seconds(3))
    }
}
