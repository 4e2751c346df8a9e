import COpus

/// An Opus decoder over libopus that can also fill in lost packets.
///
/// For a missing packet, ``conceal(into:)`` runs libopus packet-loss concealment; when the
/// packet after the gap has arrived and carries in-band FEC, ``recover(fromNext:into:)``
/// rebuilds the lost audio from it instead. Noncopyable for the same reason as ``OpusEncoder``.
public struct OpusDecoder: ~Copyable {
    public let sampleRate: Int
    public let channels: Int
    private let handle: OpaquePointer

    public init(sampleRate: Int, channels: Int = 1) throws(OpusError) {
        var status: Int32 = OPUS_OK
        guard let handle = opus_decoder_create(Int32(sampleRate), Int32(channels), &status), status == OPUS_OK else {
            throw OpusError(rawValue: status == OPUS_OK ? OPUS_ALLOC_FAIL : status,
                            operation: "opus_decoder_create (\(sampleRate) Hz, \(channels) channels)")
        }
        self.handle = handle
        self.sampleRate = sampleRate
        self.channels = channels
    }

    deinit { opus_decoder_destroy(handle) }

    /// Applies a gain in dB to everything decoded (Ogg Opus's output gain), in Q7.8 steps.
    public mutating func setGain(q8dB: Int) throws(OpusError) {
        _ = try OpusError.check(copus_decoder_set_gain(handle, Int32(q8dB)), "set gain \(q8dB)")
    }

    /// Samples per channel in `packet`, at this decoder's rate.
    public func sampleCount(of packet: UnsafeRawBufferPointer) throws(OpusError) -> Int {
        try OpusError.check(
            opus_decoder_get_nb_samples(handle, packet.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(packet.count)),
            "opus_decoder_get_nb_samples")
    }

    /// Decodes one packet; returns samples per channel written (interleaved when stereo).
    public mutating func decode(_ packet: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) throws(OpusError) -> Int {
        try OpusError.check(
            opus_decode(handle, packet.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(packet.count),
                        pcm.baseAddress!, Int32(pcm.count / channels), 0),
            "opus_decode (\(packet.count) bytes)")
    }

    /// Decodes one packet to floats (full scale 1.0).
    public mutating func decode(_ packet: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Float>) throws(OpusError) -> Int {
        try OpusError.check(
            opus_decode_float(handle, packet.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(packet.count),
                              pcm.baseAddress!, Int32(pcm.count / channels), 0),
            "opus_decode_float (\(packet.count) bytes)")
    }

    /// Conceals one lost packet with libopus PLC; `pcm.count` is the lost duration in samples
    /// (a multiple of 2.5 ms). Returns samples written.
    public mutating func conceal(into pcm: UnsafeMutableBufferPointer<Float>) throws(OpusError) -> Int {
        try OpusError.check(opus_decode_float(handle, nil, 0, pcm.baseAddress!, Int32(pcm.count / channels), 0),
                            "opus PLC (\(pcm.count) samples)")
    }

    /// Rebuilds a lost packet from the in-band FEC carried by the packet that followed it.
    /// `pcm.count` is the lost duration; without FEC data libopus falls back to PLC.
    /// Decode `next` itself normally afterwards.
    public mutating func recover(fromNext next: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Float>) throws(OpusError) -> Int {
        try OpusError.check(
            opus_decode_float(handle, next.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(next.count),
                              pcm.baseAddress!, Int32(pcm.count / channels), 1),
            "opus FEC decode (\(next.count) bytes)")
    }
}
