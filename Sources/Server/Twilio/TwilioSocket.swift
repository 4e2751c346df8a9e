import NIOCore
import NIOWebSocket

/// A media stream's WebSocket as the rest of the call sees it: text messages and a close, from
/// any thread. On the channel's own event loop a write goes straight down the pipeline; from
/// elsewhere (the pacing clock, a call's control task) NIO hands it to the loop.
struct TwilioSocket: Sendable {
    let channel: any Channel

    var allocator: ByteBufferAllocator { channel.allocator }

    func send(_ message: ByteBuffer) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: message), promise: nil)
    }

    /// Two messages in one flush (one system call): a frame of audio and its mark.
    func send(_ first: ByteBuffer, _ second: ByteBuffer) {
        channel.write(WebSocketFrame(fin: true, opcode: .text, data: first), promise: nil)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: second), promise: nil)
    }

    /// Sends a close frame with `code` and `reason`, then closes the connection.
    func close(_ code: WebSocketErrorCode, reason: String) {
        var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(String(reason.utf8.prefix(120)) ?? "")
        let channel = self.channel
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
