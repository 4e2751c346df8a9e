import NIOCore
import NIOPosix
import NIOSSL
import Wire

/// Opens a simulated caller's media stream: TCP (with TLS for `wss`), the WebSocket upgrade with
/// any extra headers (a signature), then the caller itself on the raw channel.
enum CallerConnection {
    struct Target: Sendable {
        var host: String
        var port: Int
        var path: String
        var tls = false
        var headers: [(String, String)] = []

        var hostHeader: String { (port == (tls ? 443 : 80)) ? host : "\(host):\(port)" }
    }

    /// Connects on `loop`; `makeCaller` runs there, and `failed` hears why the upgrade did not happen.
    static func open(_ target: Target, on loop: any EventLoop, makeCaller: @escaping @Sendable () -> SimulatedCaller,
                     failed: @escaping @Sendable (any Error) -> Void) -> EventLoopFuture<any Channel> {
        let sslContext: NIOSSLContext?
        do {
            sslContext = target.tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        } catch {
            return loop.makeFailedFuture(error)
        }
        return ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: target.host))
                    }
                    let caller = makeCaller()
                    let handshake = ClientHandshakeHandler(hostHeader: target.hostHeader, path: target.path, headers: target.headers,
                                                           next: caller) { error in
                        caller.finish(.failure(error))
                        failed(error)
                    }
                    try channel.pipeline.syncOperations.addHandler(handshake)
                }
            }
            .connect(host: target.host, port: target.port)
    }
}
