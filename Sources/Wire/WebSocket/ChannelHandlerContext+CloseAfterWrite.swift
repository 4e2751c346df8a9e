import NIOCore

extension ChannelHandlerContext {
    /// Writes and flushes `data`, then closes the channel once the write has completed, so a last
    /// response or close frame reaches the peer before the socket goes. Call on the event loop.
    public func writeAndFlushThenClose(_ data: NIOAny) {
        let context = NIOLoopBound(self, eventLoop: eventLoop)
        writeAndFlush(data).whenComplete { _ in context.value.close(promise: nil) }
    }
}
