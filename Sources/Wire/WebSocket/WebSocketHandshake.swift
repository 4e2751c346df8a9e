import Crypto
import Foundation
import NIOCore

/// The HTTP/1.1 upgrade that opens a WebSocket, done by hand on a raw channel: once it completes,
/// the channel gets the given handler, which frames the bytes itself, and nothing of HTTP stays
/// in the pipeline.
public enum WebSocketHandshake {
    /// `Sec-WebSocket-Accept` for a client's key (RFC 6455 section 4.2.2).
    public static func accept(key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return Data(digest).base64EncodedString()
    }

    /// A fresh random `Sec-WebSocket-Key`.
    public static func makeKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    /// Where an HTTP head ends in `buffer`, if it is complete.
    package static func headEnd(in buffer: ByteBuffer) -> Int? {
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

    /// Puts `handler` right after `handshake`: it reads and writes the connection's bytes,
    /// framing them itself (``WebSocketFrameReader``, ``WebSocketFrameWriter``).
    package static func install(_ handler: any ChannelHandler, after handshake: any ChannelHandler, in pipeline: ChannelPipeline) throws {
        try pipeline.syncOperations.addHandler(handler, position: .after(handshake))
    }
}

/// Why a WebSocket could not be opened.
public struct WebSocketHandshakeError: Error, CustomStringConvertible {
    public let description: String
}

/// Client side: sends the upgrade (with any extra headers) when the connection is up; on a
/// `101 Switching Protocols` whose `Sec-WebSocket-Accept` matches, swaps itself for `next`
/// (which frames the bytes itself). Anything else fails with the status line.
public final class ClientHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let request: String
    private let expectedAccept: String
    private var next: (any ChannelHandler)?
    private var received: ByteBuffer?
    private let failed: (any Error) -> Void

    /// `hostHeader` is the Host value (host, plus ":port" when not the scheme's default); `next`
    /// reads and writes the connection's bytes once it is upgraded.
    public init(hostHeader: String, path: String, headers: [(String, String)] = [],
                next: any ChannelHandler, failed: @escaping (any Error) -> Void) {
        let key = WebSocketHandshake.makeKey()
        var request = "GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        self.request = request + "\r\n"
        self.expectedAccept = WebSocketHandshake.accept(key: key)
        self.next = next
        self.failed = failed
    }

    public func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil { received = bytes } else { received!.writeBuffer(&bytes) }
        guard var head = received, let end = WebSocketHandshake.headEnd(in: head), let next else {
            if (received?.readableBytes ?? 0) > 64 * 1024 { fail(context, "upgrade response too large") }
            return
        }
        let text = head.readString(length: end) ?? ""
        let lines = text.split(separator: "\r\n")
        guard let status = lines.first, status.hasPrefix("HTTP/1.1 101") else {
            fail(context, "upgrade refused: \(lines.first ?? "no status line")")
            return
        }
        let accept = lines.lazy.compactMap { line -> Substring? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "sec-websocket-accept" else { return nil }
            return parts[1].drop { $0 == " " }
        }.first
        guard accept.map({ String($0).trimmingCharacters(in: .whitespaces) }) == expectedAccept else {
            fail(context, "upgrade answered with a wrong Sec-WebSocket-Accept")
            return
        }
        self.next = nil
        received = nil
        do {
            try WebSocketHandshake.install(next, after: self, in: context.pipeline)
        } catch {
            failed(error)
            context.close(promise: nil)
            return
        }
        if head.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(head)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if next != nil { failed(WebSocketHandshakeError(description: "connection closed during the upgrade")) }
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failed(error)
        context.close(promise: nil)
    }

    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        next = nil
        failed(WebSocketHandshakeError(description: reason))
        context.close(promise: nil)
    }
}

/// An upgrade request as the server side sees it: its path and headers.
public struct WebSocketUpgradeRequest: Sendable {
    public let path: String
    public let headers: [(name: String, value: String)]

    /// The first header of that name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Server side, for tools: answers a WebSocket upgrade with `101` and swaps itself for the handler
/// `makeHandler` builds for the request (which reads and writes the connection's bytes); anything
/// else, or a request `makeHandler` refuses (nil), gets a 404.
public final class ServerHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var received: ByteBuffer?
    private let makeHandler: (WebSocketUpgradeRequest) -> (any ChannelHandler)?

    public init(makeHandler: @escaping (WebSocketUpgradeRequest) -> (any ChannelHandler)?) {
        self.makeHandler = makeHandler
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces))
        }
        let request = WebSocketUpgradeRequest(path: path, headers: headers)
        let key = request.header("sec-websocket-key")
        guard let key, let handler = makeHandler(request) else {
            let response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            context.writeAndFlushThenClose(wrapOutboundOut(context.channel.allocator.buffer(string: response)))
            return
        }
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(WebSocketHandshake.accept(key: key))\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)), promise: nil)
        do {
            try WebSocketHandshake.install(handler, after: self, in: context.pipeline)
        } catch {
            context.close(promise: nil)
            return
        }
        if head.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(head)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
