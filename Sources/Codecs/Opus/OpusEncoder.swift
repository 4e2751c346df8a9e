import COpus

/// A mono Opus encoder over libopus, tuned for voice by default.
///
/// Noncopyable: one owner holds the libopus handle, and it is destroyed exactly when
/// that owner ends, not when the last of several copies happens to go.
public struct OpusEncoder: ~Copyable {
    public struct Configuration: Sendable, Equatable {
        public var sampleRate: Int
        public var frameDuration: OpusFrameDuration
        /// Target bitrate in bits per second.
        public var bitrate: Int
        /// 0 (fastest) ... 10 (best).
        public var complexity: Int
        /// In-band forward error correction: each packet carries a low-rate copy of the previous one.
        public var inbandFEC: Bool
        /// The loss rate FEC is tuned for, in percent (FEC is only spent when this is non-zero).
        public var expectedPacketLossPercent: Int
        /// Discontinuous transmission: near-empty packets during silence.
        public var dtx: Bool

        public init(sampleRate: Int = 48000, frameDuration: OpusFrameDuration = .ms20, bitrate: Int = 32000,
                    complexity: Int = 5, inbandFEC: Bool = false, expectedPacketLossPercent: Int = 0, dtx: Bool = false) {
            self.sampleRate = sampleRate
            self.frameDuration = frameDuration
            self.bitrate = bitrate
            self.complexity = complexity
            self.inbandFEC = inbandFEC
            self.expectedPacketLossPercent = expectedPacketLossPercent
            self.dtx = dtx
        }

        /// Samples in one frame at ``sampleRate``.
        public var samplesPerFrame: Int { frameDuration.samples(atSampleRate: sampleRate) }
    }

    /// RFC 6716 caps a packet at 1275 bytes per frame; 1500 leaves room for any framing.
    public static let maximumPacketBytes = 1500

    public let configuration: Configuration
    private let handle: OpaquePointer

    public init(configuration: Configuration) throws(OpusError) {
        var status: Int32 = OPUS_OK
        guard let handle = opus_encoder_create(Int32(configuration.sampleRate), 1, OPUS_APPLICATION_VOIP, &status),
              status == OPUS_OK else {
            throw OpusError(rawValue: status == OPUS_OK ? OPUS_ALLOC_FAIL : status,
                            operation: "opus_encoder_create (\(configuration.sampleRate) Hz)")
        }
        do {
            try Self.apply(configuration, to: handle)
        } catch {
            opus_encoder_destroy(handle)
            throw error
        }
        self.handle = handle
        self.configuration = configuration
    }

    private static func apply(_ configuration: Configuration, to handle: OpaquePointer) throws(OpusError) {
        _ = try OpusError.check(copus_encoder_set_bitrate(handle, Int32(configuration.bitrate)),
                                "set bitrate \(configuration.bitrate)")
        _ = try OpusError.check(copus_encoder_set_complexity(handle, Int32(configuration.complexity)),
                                "set complexity \(configuration.complexity)")
        _ = try OpusError.check(copus_encoder_set_inband_fec(handle, configuration.inbandFEC ? 1 : 0), "set in-band FEC")
        _ = try OpusError.check(copus_encoder_set_packet_loss_perc(handle, Int32(configuration.expectedPacketLossPercent)),
                                "set packet loss \(configuration.expectedPacketLossPercent)%")
        _ = try OpusError.check(copus_encoder_set_dtx(handle, configuration.dtx ? 1 : 0), "set DTX")
        _ = try OpusError.check(copus_encoder_set_signal_voice(handle), "set signal type")
    }

    deinit { opus_encoder_destroy(handle) }

    /// Samples the encoder delays its input by (the Ogg pre-skip, at ``Configuration/sampleRate``).
    public func lookahead() throws(OpusError) -> Int {
        var samples: Int32 = 0
        _ = try OpusError.check(copus_encoder_get_lookahead(handle, &samples), "get lookahead")
        return Int(samples)
    }

    /// Encodes exactly one frame of 16-bit samples; returns the packet's length in `packet`.
    public mutating func encode(_ frame: UnsafeBufferPointer<Int16>, into packet: UnsafeMutableRawBufferPointer) throws(OpusError) -> Int {
        try OpusError.check(
            opus_encode(handle, frame.baseAddress!, Int32(frame.count),
                        packet.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(packet.count)),
            "opus_encode (\(frame.count) samples)")
    }

    /// Encodes exactly one frame of float samples (full scale 1.0); returns the packet's length.
    public mutating func encode(_ frame: UnsafeBufferPointer<Float>, into packet: UnsafeMutableRawBufferPointer) throws(OpusError) -> Int {
        try OpusError.check(
            opus_encode_float(handle, frame.baseAddress!, Int32(frame.count),
                              packet.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(packet.count)),
            "opus_encode_float (\(frame.count) samples)")
    }
}
