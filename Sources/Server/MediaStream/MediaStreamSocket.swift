import NIOCore
import NIOWebSocket
import Wire

/// A media stream's WebSocket as the rest of the call sees it: frames and a close, from any
/// thread. On the channel's own event loop a write goes straight to the socket (there is no
/// frame encoder in the pipeline: writers frame their messages themselves); from elsewhere (the
/// pacing clock's thread, a model socket on another loop) NIO hands it to the loop.
struct MediaStreamSocket: Sendable {
    let channel: any Channel

    var allocator: ByteBufferAllocator { channel.allocator }

    /// Sends whole frames (see ``MediaStreamWriter/appendFrame(_:to:)``).
    func send(_ frames: ByteBuffer) {
        channel.writeAndFlush(frames, promise: nil)
    }

    /// Agent audio frames, with their mark if any, in one flush (one system call). When the
    /// caller's side is not draining (over the write water mark) they are dropped instead of
    /// queued, so a stalled peer costs a bounded buffer, not memory without end. Returns
    /// whether they were written.
    func sendAudio(_ frames: ByteBuffer) -> Bool {
        guard channel.isWritable else { return false }
        channel.writeAndFlush(frames, promise: nil)
        return true
    }

    /// Sends a close frame with `code` and `reason`, then closes the connection.
    func close(_ code: WebSocketErrorCode, reason: String) {
        var payload = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.write(webSocketErrorCode: code)
        payload.writeString(String(reason.utf8.prefix(120)) ?? "")
        let channel = self.channel
        var frames = WebSocketFrameWriter.server
        let frame = payload.withUnsafeReadableBytes { frames.frame(.close, payload: $0, allocator: channel.allocator) }
        channel.writeAndFlush(frame).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
