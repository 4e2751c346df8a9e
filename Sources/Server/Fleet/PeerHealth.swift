import AsyncHTTPClient
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// What this instance knows of the other regions' health, from polling their `/healthz`
/// (on Fly, over the private network). A replay goes to the first region in the failover list
/// that is known to be healthy, so Fly is never asked to replay into a region that would
/// refuse the call; regions not polled (no health URL) count as unknown.
public final class PeerHealth: Service, Sendable {
    public enum Reading: Sendable, Equatable {
        case healthy
        case unhealthy(String)
    }

    private let urls: [String: String]
    private let interval: Duration
    private let timeout: Duration
    private let logger: Logger
    private let readings = Mutex<[String: Reading]>([:])

    /// `urls` maps region codes to health URLs.
    public init(urls: [String: String], interval: Duration = .seconds(3), timeout: Duration = .seconds(2), logger: Logger) {
        self.urls = urls
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
    }

    /// True or false when the region was polled, nil when nothing is known of it.
    public func isHealthy(_ region: String) -> Bool? {
        switch readings.withLock({ $0[region] }) {
        case .healthy: true
        case .unhealthy: false
        case nil: nil
        }
    }

    public func run() async throws {
        guard !urls.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.pollAll(client)
                try? await Task.sleep(for: self.interval)
            }
        }
        try? await client.shutdown()
    }

    private func pollAll(_ client: HTTPClient) async {
        await withTaskGroup(of: (String, Reading).self) { group in
            for (region, url) in urls {
                group.addTask { (region, await self.poll(url, client)) }
            }
            for await (region, reading) in group {
                let previous = readings.withLock { readings in
                    defer { readings[region] = reading }
                    return readings[region]
                }
                if previous != reading {
                    logger.notice("peer region health changed", metadata: ["peer": .string(region), "reading": .string("\(reading)")])
                }
            }
        }
    }

    private func poll(_ url: String, _ client: HTTPClient) async -> Reading {
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            let body = try await response.body.collect(upTo: 16 * 1024)
            return response.status == .ok ? .healthy : .unhealthy("\(response.status.code): \(String(buffer: body))")
        } catch {
            return .unhealthy("\(error)")
        }
    }
}
