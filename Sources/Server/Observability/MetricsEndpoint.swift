import CallRecords
import Hummingbird
import NIOCore

/// `GET /metrics`: the Prometheus exposition, with the call-record writer's queue and outbox.
struct MetricsEndpoint: Sendable {
    let metrics: RelayMetrics
    let recorder: RecordWriter?

    func register(on routes: Router<BasicRequestContext>) {
        routes.get("/metrics") { _, _ -> Response in
            let store = recorder.map { ($0.statistics.queueDepth, $0.outbox.count) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.render(store: store))))
        }
    }
}
