import Foundation
import Server
import Testing

/// `deploy/grafana-dashboard.json` is a dashboard Grafana imports, over metrics the relay exports.
@Suite struct GrafanaDashboardTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/grafana-dashboard.json").path

    @Test func everyQueryUsesAMetricTheRelayExports() throws {
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.path))) as? [String: Any])
        // Importable: a Prometheus data source input and panels with queries.
        let inputs = try #require(dashboard["__inputs"] as? [[String: Any]])
        #expect(inputs.contains { $0["pluginId"] as? String == "prometheus" })
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let queries = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(queries.count >= 10)

        let metrics = RelayMetrics(region: "fra", provider: "azure")
        metrics.callEnded(outcome: "completed", carrier: "plivo")
        metrics.replayed(reason: "draining")
        let exported = String(decoding: metrics.render(store: (queueDepth: 0, outbox: 0)), as: UTF8.self)
        let families = Set(exported.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        let pattern = try Regex(#"voice_relay_[a-z_]+"#)
        var used = Set<String>()
        for query in queries {
            for match in query.matches(of: pattern) {
                var name = String(query[match.range])
                if name.hasSuffix("_bucket") { name.removeLast("_bucket".count) }
                used.insert(name)
            }
        }
        #expect(!used.isEmpty)
        for name in used {
            #expect(families.contains(name), "the dashboard queries \(name), which the relay does not export")
        }
        // Never a call id among the labels.
        #expect(!exported.contains("call_sid") && !exported.contains("callSid"))
    }
}
