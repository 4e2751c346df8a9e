import Hummingbird
import NIOCore

/// `GET /healthz`, which Fly's health check and the peers' watchers read: 200 with the region,
/// model and calls when this instance can take a call, else 503 with the reason (draining, model
/// down, full).
struct HealthEndpoint: Sendable {
    let health: RelayHealth
    let region: String
    let modelName: String
    let capacity: Int

    func register(on routes: Router<BasicRequestContext>) {
        routes.get("/healthz") { _, _ -> Response in
            let status = health.status
            let calls = health.registry.count
            if status.canTakeCalls {
                let body = #"{"status":"ok","region":"\#(region)","model":"\#(modelName)","calls":\#(calls),"capacity":\#(capacity)}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            let body = #"{"status":"unavailable","region":"\#(region)","reason":\#(jsonStringLiteral(status.reason ?? "")),"calls":\#(calls)}"#
            return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }
}
