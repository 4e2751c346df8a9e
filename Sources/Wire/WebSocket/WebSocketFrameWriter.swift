import NIOCore

/// Writes WebSocket frames straight into a `ByteBuffer`, the payload composed in place by the
/// caller: no intermediate buffer and no copy. A client's frames are masked (RFC 6455 section
/// 5.3) with a key from a per-connection xorshift generator (masking only has to be
/// unpredictable to the page behind a proxy, and a syscall for random bytes per frame costs more
/// than the frame), eight bytes at a time; NIO's encoder masks byte by byte, which showed up in
/// the relay's profile under load. A server's frames are not masked.
public struct WebSocketFrameWriter: Sendable {
    /// Mask state; 0 for a server, whose frames carry no mask.
    private var state: UInt64

    /// For the client end of a connection: every frame masked.
    public static func client() -> WebSocketFrameWriter {
        var generator = SystemRandomNumberGenerator()
        return WebSocketFrameWriter(state: generator.next() | 1)
    }

    /// For the server end: frames unmasked.
    public static let server = WebSocketFrameWriter(state: 0)

    private init(state: UInt64) {
        self.state = state
    }

    private var masks: Bool { state != 0 }

    /// Bytes a frame with `payloadCount` bytes of payload takes.
    public func frameBytes(payloadCount: Int) -> Int {
        (payloadCount < 126 ? 2 : payloadCount <= 0xFFFF ? 4 : 10) + (masks ? 4 : 0) + payloadCount
    }

    /// Appends one whole (fin) frame carrying `payload` to `buffer`.
    public mutating func write(_ opcode: FrameOpcode, payload: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        write(opcode, payloadCount: payload.count, into: &buffer) { $0.copyMemory(from: payload) }
    }

    /// Appends one whole (fin) frame of `payloadCount` bytes that `fill` writes in place (all of
    /// them); a client's are then masked where they lie.
    public mutating func write(_ opcode: FrameOpcode, payloadCount: Int, into buffer: inout ByteBuffer,
                               fill: (UnsafeMutableRawBufferPointer) -> Void) {
        buffer.reserveCapacity(minimumWritableBytes: frameBytes(payloadCount: payloadCount))
        let maskBit: UInt8 = masks ? 0x80 : 0
        buffer.writeInteger(0x80 | opcode.rawValue)
        if payloadCount < 126 {
            buffer.writeInteger(maskBit | UInt8(payloadCount))
        } else if payloadCount <= 0xFFFF {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(payloadCount))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(payloadCount))
        }
        guard masks else {
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: payloadCount) { whole in
                fill(UnsafeMutableRawBufferPointer(rebasing: whole[0..<payloadCount]))
                return payloadCount
            }
            return
        }
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        let key = UInt32(truncatingIfNeeded: state)
        buffer.writeInteger(key)  // big-endian: key byte i is (key >> (24 - 8i))
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: payloadCount) { whole in
            let payload = UnsafeMutableRawBufferPointer(rebasing: whole[0..<payloadCount])
            fill(payload)
            WebSocketMask.apply(key.bigEndian, to: payload)
            return payloadCount
        }
    }

    /// One whole frame of `payloadCount` bytes that `fill` writes, in a buffer of its own.
    public mutating func frame(_ opcode: FrameOpcode, payloadCount: Int, allocator: ByteBufferAllocator,
                               fill: (UnsafeMutableRawBufferPointer) -> Void) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frameBytes(payloadCount: payloadCount))
        write(opcode, payloadCount: payloadCount, into: &buffer, fill: fill)
        return buffer
    }

    /// One whole frame carrying `payload`, in a buffer of its own.
    public mutating func frame(_ opcode: FrameOpcode, payload: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> ByteBuffer {
        frame(opcode, payloadCount: payload.count, allocator: allocator) { $0.copyMemory(from: payload) }
    }

    /// A close frame carrying `code` (and no reason), in a buffer of its own.
    public mutating func close(code: UInt16, allocator: ByteBufferAllocator) -> ByteBuffer {
        withUnsafeBytes(of: code.bigEndian) { frame(.close, payload: $0, allocator: allocator) }
    }

    /// Appends a frame with `text`.
    public mutating func write(_ opcode: FrameOpcode, text: String, into buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { write(opcode, payload: UnsafeRawBufferPointer($0), into: &buffer) }
    }
}

/// The XOR of RFC 6455 masking, eight bytes at a time. `key` holds the four key bytes in memory
/// order (as they appear on the wire); masking twice restores the payload.
package enum WebSocketMask {
    package static func apply(_ key: UInt32, to payload: UnsafeMutableRawBufferPointer) {
        let keyBytes = UInt64(key) | UInt64(key) << 32
        var index = 0
        while index + 8 <= payload.count {
            let word = payload.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            payload.storeBytes(of: word ^ keyBytes, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        withUnsafeBytes(of: key) { key in
            while index < payload.count {
                payload[index] ^= key[index & 3]
                index += 1
            }
        }
    }
}
