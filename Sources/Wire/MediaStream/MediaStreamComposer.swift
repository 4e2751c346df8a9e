import NIOCore

/// A carrier's way of writing ``OutgoingMediaMessage``s: each composer says how long a message is
/// and writes it into exactly that many bytes, and the extension frames it. One definition per
/// message both measures and writes it, so a frame's header always matches its payload, and a
/// message goes straight into the frame that carries it: no buffer of its own, no copy.
public protocol MediaStreamComposer: Sendable {
    /// Writes (or, into a counting writer, measures) `message`.
    func compose(_ message: OutgoingMediaMessage, with writer: inout ByteWriter)
    /// The frame a message goes out in: text for JSON carriers; Vonage sends audio as binary.
    func opcode(of message: OutgoingMediaMessage) -> FrameOpcode
}

extension MediaStreamComposer {
    public func opcode(of message: OutgoingMediaMessage) -> FrameOpcode { .text }

    /// The message's length in bytes.
    public func byteCount(of message: OutgoingMediaMessage) -> Int {
        var counter = ByteWriter(nil)
        compose(message, with: &counter)
        return counter.position
    }

    /// Writes the message into `output`, which holds exactly ``byteCount(of:)`` bytes.
    public func write(_ message: OutgoingMediaMessage, into output: UnsafeMutableRawBufferPointer) {
        var writer = ByteWriter(output)
        compose(message, with: &writer)
    }

    /// Bytes the message takes as a frame.
    public func frameBytes(of message: OutgoingMediaMessage) -> Int {
        WebSocketFrameWriter.server.frameBytes(payloadCount: byteCount(of: message))
    }

    /// The message as one frame, in a buffer of its own.
    public func frame(_ message: OutgoingMediaMessage, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frames = WebSocketFrameWriter.server
        return frames.frame(opcode(of: message), payloadCount: byteCount(of: message), allocator: allocator) { write(message, into: $0) }
    }

    /// Appends the message to `buffer` as one frame.
    public func appendFrame(_ message: OutgoingMediaMessage, to buffer: inout ByteBuffer) {
        var frames = WebSocketFrameWriter.server
        frames.write(opcode(of: message), payloadCount: byteCount(of: message), into: &buffer) { write(message, into: $0) }
    }
}
