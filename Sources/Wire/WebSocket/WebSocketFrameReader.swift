import NIOCore

/// Splits the bytes of a WebSocket connection into frames, in the channel handler that reads
/// them: no frame decoder in the pipeline, no `WebSocketFrame` or `NIOAny` box per message, and
/// no buffer per frame. An unmasked frame (a server's) is handed over where it lies in the read
/// buffer; a masked one (a client's) is unmasked into stack memory on the way, which costs no
/// more than the read it replaces. A frame split across reads waits for the rest.
///
/// Frames may be masked or not in either direction (the reader is lenient); reserved bits,
/// unknown opcodes, oversized or fragmented control frames, and frames over the size limit are
/// errors, reported before the frame's payload is buffered.
public struct WebSocketFrameReader {
    public struct Frame {
        public let fin: Bool
        public let opcode: FrameOpcode
        /// Valid only during the call it is handed to.
        public let payload: UnsafeRawBufferPointer
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case tooLarge(Int)
        case reservedBits
        case unknownOpcode(UInt8)
        case malformedControlFrame

        public var description: String {
            switch self {
            case .tooLarge(let count): "frame of \(count) bytes exceeds the message size limit"
            case .reservedBits: "frame with reserved bits set (no extension was negotiated)"
            case .unknownOpcode(let opcode): "frame with unknown opcode \(opcode)"
            case .malformedControlFrame: "control frame fragmented or over 125 bytes"
            }
        }
    }

    public let maximumPayloadBytes: Int
    /// The start of a frame that has not arrived whole.
    private var partial: ByteBuffer?

    public init(maximumPayloadBytes: Int) {
        self.maximumPayloadBytes = maximumPayloadBytes
    }

    /// Bytes held for a frame not yet complete.
    public var bufferedBytes: Int { partial?.readableBytes ?? 0 }

    /// Hands every complete frame in `bytes` (after what earlier reads left) to `body`, which
    /// returns whether to go on; keeps an incomplete frame for the next read. Throws at the
    /// first malformed frame, after handing on those before it.
    public mutating func read(_ bytes: ByteBuffer, _ body: (Frame) -> Bool) throws(Failure) {
        var buffer = bytes
        if var partial {
            self.partial = nil
            partial.writeBuffer(&buffer)
            buffer = partial
        }
        let limit = maximumPayloadBytes
        let (consumed, failure) = buffer.withUnsafeReadableBytes { Self.frames(in: $0, limit: limit, body) }
        if let failure { throw failure }
        if consumed < buffer.readableBytes {
            partial = buffer.getSlice(at: buffer.readerIndex + consumed, length: buffer.readableBytes - consumed)
        }
    }

    /// Parses whole frames from `raw`; returns the bytes they took, and the failure that stopped it.
    private static func frames(in raw: UnsafeRawBufferPointer, limit: Int, _ body: (Frame) -> Bool) -> (Int, Failure?) {
        var offset = 0
        while raw.count - offset >= 2 {
            let available = raw.count - offset
            let first = raw[offset]
            let second = raw[offset + 1]
            guard first & 0x70 == 0 else { return (offset, .reservedBits) }
            guard let opcode = FrameOpcode(rawValue: first & 0x0F) else { return (offset, .unknownOpcode(first & 0x0F)) }
            let fin = first & 0x80 != 0
            var length = Int(second & 0x7F)
            var header = 2
            if length == 126 {
                guard available >= 4 else { break }
                length = Int(raw[offset + 2]) << 8 | Int(raw[offset + 3])
                header = 4
            } else if length == 127 {
                guard available >= 10 else { break }
                var wide: UInt64 = 0
                for index in 0..<8 { wide = wide << 8 | UInt64(raw[offset + 2 + index]) }
                guard wide <= UInt64(limit) else { return (offset, .tooLarge(Int(clamping: wide))) }
                length = Int(wide)
                header = 10
            }
            if opcode.isControl, length > 125 || !fin { return (offset, .malformedControlFrame) }
            guard length <= limit else { return (offset, .tooLarge(length)) }
            let masked = second & 0x80 != 0
            let keyOffset = offset + header
            if masked { header += 4 }
            guard available >= header + length else { break }
            let payload = UnsafeRawBufferPointer(rebasing: raw[(offset + header)..<(offset + header + length)])
            offset += header + length
            let goOn: Bool
            if masked {
                let key = raw.loadUnaligned(fromByteOffset: keyOffset, as: UInt32.self)
                goOn = withUnsafeTemporaryAllocation(byteCount: length, alignment: 8) { scratch in
                    scratch.copyMemory(from: payload)
                    WebSocketMask.apply(key, to: scratch)
                    return body(Frame(fin: fin, opcode: opcode, payload: UnsafeRawBufferPointer(scratch)))
                }
            } else {
                goOn = body(Frame(fin: fin, opcode: opcode, payload: payload))
            }
            if !goOn { return (raw.count, nil) }
        }
        return (offset, nil)
    }
}
