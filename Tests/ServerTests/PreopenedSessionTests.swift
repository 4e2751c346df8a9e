import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Server
import Testing
import Simulators

/// Model sessions the webhook opens are paid for: no more wait than calls could still start,
/// and those no stream claims are closed after the timeout, each outcome counted.
@Suite(.serialized) struct PreopenedSessionTests {
    @Test func webhookSessionsAreBoundedByFreeCapacityAndExpire() async throws {
        let simulated = try await SimulatedModel.start(.init())
        try await simulated.serving {
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime", audioFormat: .muLaw)
            let relay = RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test", maximumCalls: 2,
                                                         preopenedSessionTimeout: .milliseconds(1500)), model: model)
            try await relay.makeApplication().test(.live) { client in
                for index in 1...4 {
                    let response = try await client.execute(
                        uri: "/twiml", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                        body: ByteBuffer(string: "CallSid=CA\(index)&AccountSid=AC1&From=%2B1&To=%2B2"))
                    // Every call is still answered: a stream without a waiting session connects itself.
                    #expect(response.status == .ok)
                }
                var waited = Duration.zero
                while simulated.openConnections < 2, waited < .seconds(5) {
                    try await Task.sleep(for: .milliseconds(50))
                    waited += .milliseconds(50)
                }
                #expect(simulated.connections == 2)
                #expect(simulated.openConnections == 2)
                // No stream came: both are closed after the timeout.
                try await Task.sleep(for: .milliseconds(2500))
                #expect(simulated.openConnections == 0)
                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(metrics.contains(#"voice_relay_preopened_model_sessions_total{region="local",provider="openai",outcome="refused-capacity"} 2"#), "\(metrics)")
                #expect(metrics.contains(#"voice_relay_preopened_model_sessions_total{region="local",provider="openai",outcome="expired"} 2"#))
            }
        }
    }
}
