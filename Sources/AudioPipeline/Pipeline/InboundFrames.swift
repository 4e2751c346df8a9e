/// 20 ms of caller audio as Twilio sends it: 160 bytes of 8 kHz mu-law, with its `chunk` number.
/// Fixed size, so it crosses ``SPSCRingBuffer`` by copy.
public struct MuLawFrame: BitwiseCopyable, Sendable {
    public static let payloadBytes = 160
    public var sequence: UInt32
    public var payload: InlineArray<160, UInt8>

    public init(sequence: UInt32, payload: InlineArray<160, UInt8>) {
        self.sequence = sequence
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
}
