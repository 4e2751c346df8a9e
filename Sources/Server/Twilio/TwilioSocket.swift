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

    /// Agent audio, and its mark if any, in one flush (one system call). When the caller's side
    /// is not draining (more than NIO's high water mark, 64 KiB, is waiting) the frame is dropped
    /// instead of queued, so a stalled peer costs a bounded buffer, not memory without end.
    /// Returns whether it was written.
    func sendAudio(_ media: ByteBuffer, mark: ByteBuffer?) -> Bool {
        guard channel.isWritable else { return false }
        guard let mark else {
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: media), promise: nil)
            return true
        }
        channel.write(WebSocketFrame(fin: true, opcode: .text, data: media), promise: nil)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: mark), promise: nil)
        return true
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
