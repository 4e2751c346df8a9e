#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Wire

/// The relay's answer to a WebSocket upgrade it will not take: a `fly-replay` hand-off, a 403 or
/// a 503, with headers and a short body.
struct UpgradeRefusal: Sendable {
    var status: HTTPResponse.Status
    var headerFields: HTTPFields
    var body: String
}

/// How an accepted media stream is taken over: its channel handler, and the event loop it should
/// run on (its pre-opened model socket's), if that is known.
struct MediaStreamTakeOver: Sendable {
    /// Makes the stream's handler, on the loop it will run on.
    let makeHandler: @Sendable () -> any ChannelHandler
    let eventLoop: (any EventLoop)?
}

/// Decides every WebSocket upgrade before Hummingbird sees it.
///
/// - A refused upgrade gets a real HTTP response. Fly's proxy can only replay a media stream
///   from the response to its upgrade request, and that response must carry `fly-replay`; but
///   Hummingbird answers every upgrade its `shouldUpgrade` declines with a bare 400.
/// - An accepted media stream is upgraded here, by hand: the gate answers `101`, replaces the
///   HTTP handlers with the stream's own channel handler (which frames the bytes itself), and
///   Hummingbird's async WebSocket layer never runs for it. Its per-message task hops and
///   queues cost more CPU than the relay's DSP (measured with `voice-relay load`).
///
/// - A stream whose call has a model socket open on another event loop (opened at the webhook)
///   is moved to that loop right after the `101`, before it has read anything: its connection
///   is registered there anew (a duplicate descriptor) and the accepting channel is closed. The
///   call then runs on one thread; otherwise every frame would cross loops twice, with a copy,
///   a task and a wake-up each way (measured: a third more CPU per call at 20 calls).
///
/// Other requests pass untouched, and the gate leaves the pipeline after the first one.
final class UpgradeGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let refusal: @Sendable (HTTPRequest) -> UpgradeRefusal?
    private let takeOver: @Sendable (HTTPRequest) -> MediaStreamTakeOver?
    private let decided: (Bool) -> Void
    private var refusing = false
    /// An accepted media stream: the key to answer and the handler to install at the request's end.
    private var upgrading: (key: String, takeOver: MediaStreamTakeOver)?

    init(refusal: @escaping @Sendable (HTTPRequest) -> UpgradeRefusal?,
         takeOver: @escaping @Sendable (HTTPRequest) -> MediaStreamTakeOver?, decided: @escaping (Bool) -> Void) {
        self.refusal = refusal
        self.takeOver = takeOver
        self.decided = decided
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        let part = unwrapInboundIn(data)
        if let upgrading {
            if case .end = part {
                if let loop = upgrading.takeOver.eventLoop, loop !== context.eventLoop {
                    move(context: context, key: upgrading.key, makeHandler: upgrading.takeOver.makeHandler, to: loop)
                } else {
                    upgrade(context: context, key: upgrading.key, handler: upgrading.takeOver.makeHandler())
                }
            }
            return
        }
        guard case .head(let head) = part else {
            context.fireChannelRead(data)
            return
        }
        let isWebSocket = head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
        let request = Self.request(head)
        if isWebSocket, let answer = refusal(request) {
            refuse(context: context, head: head, answer: answer)
            return
        }
        if isWebSocket, let key = head.headers.first(name: "sec-websocket-key"),
           head.headers.first(name: "sec-websocket-version") == "13", let taken = takeOver(request) {
            upgrading = (key, taken)
            return
        }
        decided(false)
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(context: ChannelHandlerContext, head: HTTPRequestHead, answer: UpgradeRefusal) {
        refusing = true
        decided(false)
        var headers = HTTPHeaders(answer.headerFields.map { ($0.name.rawName, $0.value) })
        headers.replaceOrAdd(name: "content-length", value: "\(answer.body.utf8.count)")
        headers.replaceOrAdd(name: "connection", value: "close")
        let status = HTTPResponseStatus(statusCode: answer.status.code, reasonPhrase: answer.status.reasonPhrase)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        // Once written, tell the upgrade handler the input is over: it closes the connection
        // and ends its wait without an error.
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in
            boundContext.value.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
    }

    /// The `101` answering `key`.
    private static func switchingProtocols(key: String) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "upgrade", value: "websocket")
        headers.add(name: "connection", value: "upgrade")
        headers.add(name: "sec-websocket-accept", value: WebSocketHandshake.accept(key: key))
        return HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers)
    }

    /// Answers `101`, then carries the connection to `loop` with `handler` as its only handler.
    /// Reading stops first, so nothing of the stream is read here (a client sends its first
    /// message only after the `101`); if the connection cannot be moved it is upgraded here.
    private func move(context: ChannelHandlerContext, key: String, makeHandler: @escaping @Sendable () -> any ChannelHandler,
                      to loop: any EventLoop) {
        upgrading = nil
        let channel = context.channel
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        guard let descriptor = ConnectedSocketDescriptor.find(local: channel.localAddress, remote: channel.remoteAddress) else {
            try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            return upgrade(context: context, key: key, handler: makeHandler())
        }
        decided(true)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.head(Self.switchingProtocols(key: key))), promise: written)
        written.futureResult.whenComplete { result in
            guard case .success = result else { return channel.close(promise: nil) }
            let copy = dup(descriptor)
            guard copy >= 0 else { return channel.close(promise: nil) }
            ClientBootstrap(group: loop)
                .channelOption(ChannelOptions.writeBufferWaterMark, value: Self.writeBufferWaterMark)
                .channelOption(ChannelOptions.recvAllocator, value: Self.mediaStreamReads)
                .channelOption(ChannelOptions.maxMessagesPerRead, value: 1)
                .channelInitializer { moved in
                    moved.eventLoop.makeCompletedFuture { try moved.pipeline.syncOperations.addHandler(makeHandler()) }
                }
                .withConnectedSocket(copy)
                .whenComplete { _ in
                    // The socket lives on in the copy; closing this channel closes only its descriptor.
                    channel.close(promise: nil)
                }
        }
    }

    /// Answers `101` and swaps the HTTP handlers for `handler`. The HTTP decoder stops parsing
    /// after an upgrade request and, removed last, hands any bytes it holds to `handler`.
    private func upgrade(context: ChannelHandlerContext, key: String, handler: any ChannelHandler) {
        upgrading = nil
        context.writeAndFlush(wrapOutboundOut(.head(Self.switchingProtocols(key: key))), promise: nil)
        let pipeline = context.pipeline.syncOperations
        do {
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
            let upgrader = try pipeline.handler(type: NIOTypedHTTPServerUpgradeHandler<HTTP1WebSocketUpgradeChannel.UpgradeResult>.self)
            try pipeline.addHandler(handler, position: .after(decoder))
            // A caller not reading stops being written to after 16 KiB (about a second of
            // audio) rather than NIO's default 64 KiB: less memory and less stale audio.
            context.channel.setOption(ChannelOptions.writeBufferWaterMark, value: Self.writeBufferWaterMark).whenComplete { _ in }
            // Twilio's messages are ~350 bytes. NIO keeps a channel's largest read buffer for
            // good, so reads start at 512 bytes and stop growing at 2 KiB (a burst of messages
            // takes more reads instead); one read per wake-up pools one buffer, not four.
            context.channel.setOption(ChannelOptions.recvAllocator, value: Self.mediaStreamReads).whenComplete { _ in }
            context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1).whenComplete { _ in }
            decided(true)
            pipeline.removeHandler(upgrader, promise: nil)
            pipeline.removeHandler(context: context, promise: nil)
            pipeline.removeHandler(encoder, promise: nil)
            pipeline.removeHandler(decoder, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }

    /// Read buffer sizes for a Twilio media stream.
    static let mediaStreamReads = AdaptiveRecvByteBufferAllocator(minimum: 256, initial: 512, maximum: 2048)

    /// The bounds of what may wait in user space for a socket that is not draining.
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 8 * 1024, high: 16 * 1024)

    static func request(_ head: HTTPRequestHead) -> HTTPRequest {
        var fields = HTTPFields()
        for (name, value) in head.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return HTTPRequest(method: .get, scheme: nil, authority: head.headers.first(name: "host"), path: head.uri, headerFields: fields)
    }
}

/// Hummingbird's HTTP/1 + WebSocket child channel with a ``ConnectionGuard`` first and an
/// ``UpgradeGate`` in front of its upgrade handler. A media stream the gate took over is the
/// gate's: this child channel then only waits for the connection to close.
struct GatedWebSocketChannel: ServerChildChannel {
    let inner: HTTP1WebSocketUpgradeChannel
    let limits: ConnectionLimits
    let refusal: @Sendable (HTTPRequest) -> UpgradeRefusal?
    let takeOver: @Sendable (HTTPRequest) -> MediaStreamTakeOver?

    struct Value: ServerChildChannelValue {
        let inner: HTTP1WebSocketUpgradeChannel.Value
        /// Whether the gate upgraded the connection itself.
        let takenOver: EventLoopFuture<Bool>
        var channel: any Channel { inner.channel }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let decision = channel.eventLoop.makePromise(of: Bool.self)
            let once = NIOLoopBound(DecisionLatch(decision), eventLoop: channel.eventLoop)
            channel.closeFuture.whenComplete { _ in once.value.decide(false) }
            try operations.addHandler(ConnectionGuard(limits: limits), position: .first)
            let upgrader = try operations.handler(type: NIOTypedHTTPServerUpgradeHandler<HTTP1WebSocketUpgradeChannel.UpgradeResult>.self)
            try operations.addHandler(UpgradeGate(refusal: refusal, takeOver: takeOver,
                                                  decided: { once.value.decide($0) }),
                                      position: .before(upgrader))
            return Value(inner: value, takenOver: decision.futureResult)
        }
    }

    func handle(value: Value, logger: Logger) async {
        if (try? await value.takenOver.get()) == true {
            try? await value.channel.closeFuture.get()
            return
        }
        await inner.handle(value: value.inner, logger: logger)
    }
}

/// Completes a decision promise once, from the channel's loop.
private final class DecisionLatch {
    private let promise: EventLoopPromise<Bool>
    private var done = false

    init(_ promise: EventLoopPromise<Bool>) { self.promise = promise }

    func decide(_ value: Bool) {
        guard !done else { return }
        done = true
        promise.succeed(value)
    }
}
