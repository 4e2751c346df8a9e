/// 20 ms of caller audio in G.711 (mu-law or A-law): 160 bytes at 8 kHz, with its sequence
/// (Twilio's `chunk`). Fixed size, so it crosses ``SPSCRingBuffer`` by copy.
public struct G711Frame: BitwiseCopyable, Sendable {
    public static let payloadBytes = 160
    public var sequence: UInt32
    public var payload: InlineArray<160, UInt8>

    public init(sequence: UInt32, payload: InlineArray<160, UInt8>) {
        self.sequence = sequence
        self.payload = payload
    }

    /// A frame of `bytes` (exactly 160), or nil.
    public init?(sequence: UInt32, bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Self.payloadBytes else { return nil }
        var payload = InlineArray<160, UInt8>(repeating: 0)
        var span = payload.mutableSpan
        span.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
        self.init(sequence: sequence, payload: payload)
    }
}

/// 20 ms of 16-bit little-endian linear PCM (Plivo's `audio/x-l16`): 320 bytes at 8 kHz or 640
/// at 16 kHz, held in room for the larger.
public struct Linear16Frame: BitwiseCopyable, Sendable {
    public static let maximumBytes = 640
    public var sequence: UInt32
    public var byteCount: UInt16
    public var payload: InlineArray<640, UInt8>

    /// A frame of `bytes` (320 or 640), or nil.
    public init?(sequence: UInt32, bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 320 || bytes.count == Self.maximumBytes else { return nil }
        var payload = InlineArray<640, UInt8>(repeating: 0)
        var span = payload.mutableSpan
        span.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[0..<bytes.count]).copyMemory(from: bytes) }
        self.sequence = sequence
        self.byteCount = UInt16(bytes.count)
        self.payload = payload
    }
}

/// One Opus packet (20 ms) with an RTP-style sequence number. Voice packets at up to 128 kb/s
/// fit in 320 bytes; larger ones are refused where packets enter the relay.
public struct OpusPacketFrame: BitwiseCopyable, Sendable {
    public static let maximumBytes = 320
    public var sequence: UInt32
    public var length: UInt16
    public var bytes: InlineArray<320, UInt8>

    public init(sequence: UInt32, length: UInt16, bytes: InlineArray<320, UInt8>) {
        self.sequence = sequence
        self.length = length
        self.bytes = bytes
    }

    /// A packet of `bytes` (1 to 320), or nil.
    public init?(sequence: UInt32, bytes packet: UnsafeRawBufferPointer) {
        guard (1...Self.maximumBytes).contains(packet.count) else { return nil }
        var bytes = InlineArray<320, UInt8>(repeating: 0)
        var span = bytes.mutableSpan
        span.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[0..<packet.count]).copyMemory(from: packet) }
        self.init(sequence: sequence, length: UInt16(packet.count), bytes: bytes)
    }
}
