import Atomics
import Logging
import NIOCore
import Wire

/// Limits every TCP connection shares, whatever it turns out to carry.
final class ConnectionLimits: Sendable {
    let maximum: Int
    let handshakeTimeout: Duration
    let metrics: RelayMetrics
    let logger: Logger
    /// Connections open now.
    let open = ManagedAtomic<Int>(0)

    init(maximum: Int, handshakeTimeout: Duration, metrics: RelayMetrics, logger: Logger) {
        self.maximum = maximum
        self.handshakeTimeout = handshakeTimeout
        self.metrics = metrics
        self.logger = logger
    }
}

/// The first handler of every connection, below HTTP: refuses connections beyond the limit
/// with a 503, and closes a connection that has not sent a whole request head within the
/// handshake timeout (a peer that connects and sends nothing, or trickles a header). Once the
/// head is in it leaves the pipeline, so a call's frames pass one handler fewer; the
/// connection stays counted until its channel closes.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: ConnectionLimits
    private var headComplete = false
    /// The last bytes seen, to find "\r\n\r\n" across reads.
    private var tail: UInt32 = 0
    private var timeout: Scheduled<Void>?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let open = limits.open.wrappingIncrementThenLoad(ordering: .relaxed)
        let limits = self.limits
        context.channel.closeFuture.whenComplete { _ in limits.open.wrappingDecrement(ordering: .relaxed) }
        guard open <= limits.maximum else {
            limits.logger.warning("refusing a connection: at the connection limit", metadata: ["limit": .stringConvertible(limits.maximum)])
            limits.metrics.refused(reason: "connection-limit")
            let body = "too many connections\n"
            let response = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: \(body.utf8.count)\r\n"
                + "retry-after: 1\r\nconnection: close\r\n\r\n" + body
            context.writeAndFlushThenClose(wrapOutboundOut(context.channel.allocator.buffer(string: response)))
            headComplete = true
            return
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let seconds = limits.handshakeTimeout
        timeout = context.eventLoop.scheduleTask(in: TimeAmount(seconds)) {
            limits.logger.notice("closing a connection that sent no complete request in time",
                                 metadata: ["timeout": .string("\(seconds)"), "peer": .string("\(bound.value.remoteAddress.map { "\($0)" } ?? "?")")])
            limits.metrics.refused(reason: "handshake-timeout")
            bound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !headComplete else {
            context.fireChannelRead(data)
            return
        }
        let bytes = unwrapInboundIn(data)
        for byte in bytes.readableBytesView {
            tail = tail << 8 | UInt32(byte)
            if tail == 0x0D0A_0D0A {
                headComplete = true
                break
            }
        }
        context.fireChannelRead(data)
        if headComplete { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }
}
