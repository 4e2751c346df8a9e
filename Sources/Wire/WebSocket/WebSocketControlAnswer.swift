import NIOCore

/// What an endpoint owes its peer's control frames (RFC 6455, 5.5): a pong carrying a ping's
/// payload, and for a close a close frame echoing its status code, after which the connection is
/// closed. The media stream and the model socket both answer through it.
package enum WebSocketControlAnswer {
    case pong(ByteBuffer)
    /// The peer closes with `peerCode` (nil when its frame had none) and `reason`.
    case closeHandshake(reply: ByteBuffer, peerCode: UInt16?, reason: String)
    /// A pong needs no answer.
    case nothing

    /// The answer to a control frame, written as this endpoint writes (`frames` masks for a
    /// client); nil for a data frame.
    package init?(to frame: WebSocketFrameReader.Frame, frames: inout WebSocketFrameWriter, allocator: ByteBufferAllocator) {
        switch frame.opcode {
        case .ping:
            self = .pong(frames.frame(.pong, payload: frame.payload, allocator: allocator))
        case .pong:
            self = .nothing
        case .close:
            var data = ByteBuffer(bytes: frame.payload)
            let code = data.readInteger(as: UInt16.self)
            let reason = data.readString(length: data.readableBytes) ?? ""
            self = .closeHandshake(reply: frames.close(code: code ?? 1000, allocator: allocator), peerCode: code, reason: reason)
        case .text, .binary, .continuation:
            return nil
        }
    }

    /// Sends the answer on `context`'s channel, closing it once a close handshake's reply is written.
    package func send(on context: ChannelHandlerContext) {
        switch self {
        case .pong(let frame):
            context.writeAndFlush(NIOAny(frame), promise: nil)
        case .closeHandshake(let reply, _, _):
            context.writeAndFlushThenClose(NIOAny(reply))
        case .nothing:
            break
        }
    }
}
