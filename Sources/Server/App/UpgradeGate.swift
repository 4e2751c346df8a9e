import HTTPTypes
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// The relay's answer to a WebSocket upgrade it will not take: a `fly-replay` hand-off, a 403 or
/// a 503, with headers and a short body.
struct UpgradeRefusal: Sendable {
    var status: HTTPResponse.Status
    var headerFields: HTTPFields
    var body: String
}

/// Answers WebSocket upgrades the relay will not take with a real HTTP response.
///
/// Fly's proxy can only replay a media stream from the response to its upgrade request, and
/// that response must carry `fly-replay`; but Hummingbird answers every upgrade its
/// `shouldUpgrade` declines with a bare 400. This handler sits just in front of the upgrade
/// handler, asks `refusal` about each upgrade request, and when there is one writes it, drops
/// the rest of the request and lets the upgrade handler close the connection. Other requests
/// pass untouched, and the handler leaves the pipeline after the first one.
final class UpgradeGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let refusal: @Sendable (HTTPRequest) -> UpgradeRefusal?
    private var refusing = false

    init(refusal: @escaping @Sendable (HTTPRequest) -> UpgradeRefusal?) {
        self.refusal = refusal
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        guard case .head(let head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        guard head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }),
              let answer = refusal(Self.request(head)) else {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        refusing = true
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

    static func request(_ head: HTTPRequestHead) -> HTTPRequest {
        var fields = HTTPFields()
        for (name, value) in head.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return HTTPRequest(method: .get, scheme: nil, authority: head.headers.first(name: "host"), path: head.uri, headerFields: fields)
    }
}

/// Hummingbird's HTTP/1 + WebSocket child channel with a ``ConnectionGuard`` first and an
/// ``UpgradeGate`` in front of its upgrade handler.
struct GatedWebSocketChannel: ServerChildChannel {
    let inner: HTTP1WebSocketUpgradeChannel
    let limits: ConnectionLimits
    let refusal: @Sendable (HTTPRequest) -> UpgradeRefusal?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1WebSocketUpgradeChannel.Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(ConnectionGuard(limits: limits), position: .first)
            let upgrader = try operations.handler(type: NIOTypedHTTPServerUpgradeHandler<HTTP1WebSocketUpgradeChannel.UpgradeResult>.self)
            try operations.addHandler(UpgradeGate(refusal: refusal), position: .before(upgrader))
            return value
        }
    }

    func handle(value: HTTP1WebSocketUpgradeChannel.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
