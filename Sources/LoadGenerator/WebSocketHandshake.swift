import Foundation
import Crypto
import NIOCore
import NIOWebSocket

/// The HTTP/1.1 upgrade that opens a WebSocket, done by hand on a raw channel: once it completes,
/// the channel gets NIO's frame decoder and encoder and the given handler, and nothing of HTTP
/// stays in the pipeline (the generator and the model stand-in only ever speak frames after it).
enum WebSocketHandshake {
    static let clientKey = "dGhlIHNhbXBsZSBub25jZQ=="

    static func request(host: String, port: Int, path: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(clientKey)\r\nSec-WebSocket-Version: 13\r\n\r\n"
    }

    /// `Sec-WebSocket-Accept` for a client's key (RFC 6455 section 4.2.2).
    static func accept(key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return Data(digest).base64EncodedString()
    }

    /// Puts NIO's frame decoder and encoder, then `handler`, right after `handshake`.
    static func installFrameHandlers(after handshake: any ChannelHandler, then handler: any ChannelHandler,
                                     in pipeline: ChannelPipeline) throws {
        let decoder = ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20))
        let encoder = WebSocketFrameEncoder()
        try pipeline.syncOperations.addHandler(decoder, position: .after(handshake))
        try pipeline.syncOperations.addHandler(encoder, position: .after(decoder))
        try pipeline.syncOperations.addHandler(handler, position: .after(encoder))
    }

    /// Where an HTTP head ends in `buffer`, if it is complete.
    static func headEnd(in buffer: ByteBuffer) -> Int? {
        let view = buffer.readableBytesView
        guard view.count >= 4 else { return nil }
        var index = view.startIndex
        while index + 3 < view.endIndex {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 {
                return index - view.startIndex + 4
            }
            index += 1
        }
        return nil
    }
}

/// Why a simulated connection failed to open.
struct HandshakeFailure: Error, CustomStringConvertible {
    let description: String
}

/// Client side: sends the upgrade on connect; on `101 Switching Protocols`, swaps itself for the
/// frame codec and `next`.
final class ClientHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: String
    private var next: (any ChannelHandler)?
    private var received: ByteBuffer?
    private let failed: (any Error) -> Void

    init(host: String, port: Int, path: String, next: any ChannelHandler, failed: @escaping (any Error) -> Void) {
        self.request = WebSocketHandshake.request(host: host, port: port, path: path)
        self.next = next
        self.failed = failed
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil { received = bytes } else { received!.writeBuffer(&bytes) }
        guard var head = received, let end = WebSocketHandshake.headEnd(in: head), let next else { return }
        let status = head.readString(length: end) ?? ""
        guard status.hasPrefix("HTTP/1.1 101") else {
            let line = status.split(separator: "\r\n").first.map(String.init) ?? status
            failed(HandshakeFailure(description: "upgrade refused: \(line)"))
            context.close(promise: nil)
            return
        }
        self.next = nil
        do {
            try WebSocketHandshake.installFrameHandlers(after: self, then: next, in: context.pipeline)
        } catch {
            failed(error)
            context.close(promise: nil)
            return
        }
        if head.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(head)) }
        received = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failed(error)
        context.close(promise: nil)
    }
}

/// Server side: answers a WebSocket upgrade with `101` and swaps itself for the frame codec and
/// the handler `makeHandler` builds for the request path; anything else gets a 404.
final class ServerHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var received: ByteBuffer?
    private let makeHandler: (String) -> (any ChannelHandler)?

    init(makeHandler: @escaping (String) -> (any ChannelHandler)?) {
        self.makeHandler = makeHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil { received = bytes } else { received!.writeBuffer(&bytes) }
        guard var head = received, let end = WebSocketHandshake.headEnd(in: head) else {
            if (received?.readableBytes ?? 0) > 16 * 1024 { context.close(promise: nil) }
            return
        }
        let text = head.readString(length: end) ?? ""
        received = nil
        let lines = text.split(separator: "\r\n")
        let path = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let key = lines.lazy.compactMap { line -> String? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "sec-websocket-key" else { return nil }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }.first
        guard let key, let handler = makeHandler(path) else {
            let response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)))
                .whenComplete { _ in context.close(promise: nil) }
            return
        }
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(WebSocketHandshake.accept(key: key))\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)), promise: nil)
        do {
            try WebSocketHandshake.installFrameHandlers(after: self, then: handler, in: context.pipeline)
        } catch {
            context.close(promise: nil)
            return
        }
        if head.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(head)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
