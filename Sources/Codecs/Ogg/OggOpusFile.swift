/// Reads and writes Ogg Opus files (RFC 7845), mono on the way in, mono or stereo on the way out.
public enum OggOpusFile {
    /// Decoded audio: mono floats at 48 kHz with pre-skip and end trimming applied.
    public struct Decoded: Sendable {
        public var samples: [Float]
        public var head: OpusHead
        public static let sampleRate = 48000
    }

    /// Encodes mono `samples` (full scale 1.0) at `configuration.sampleRate` into an Ogg Opus file.
    public static func encode(_ samples: [Float], configuration: OpusEncoder.Configuration,
                              serialNumber: UInt32 = 0x5652_4C59) throws -> [UInt8] {
        var encoder = try OpusEncoder(configuration: configuration)
        let rate = configuration.sampleRate
        let granuleScale = 48000 / rate
        let lookahead = try encoder.lookahead()
        let head = OpusHead(channelCount: 1, preSkip: lookahead * granuleScale, inputSampleRate: rate)

        var writer = OggPageWriter(serialNumber: serialNumber)
        writer.append(packet: head.packet, granulePosition: 0)
        writer.flush()
        writer.append(packet: tagsPacket(), granulePosition: 0)
        writer.flush()

        // Feed lookahead's worth of trailing silence so the last real samples come out.
        let frameSamples = configuration.samplesPerFrame
        let needed = samples.count + lookahead
        let frameCount = max(1, (needed + frameSamples - 1) / frameSamples)
        var frame = [Float](repeating: 0, count: frameSamples)
        var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketBytes)
        let finalGranule = Int64(head.preSkip + samples.count * granuleScale)
        for index in 0..<frameCount {
            let start = index * frameSamples
            for offset in 0..<frameSamples {
                frame[offset] = start + offset < samples.count ? samples[start + offset] : 0
            }
            let length = try frame.withUnsafeBufferPointer { pcm in
                try packet.withUnsafeMutableBytes { bytes in try encoder.encode(pcm, into: bytes) }
            }
            let isLast = index == frameCount - 1
            let granule = isLast ? finalGranule : Int64((index + 1) * frameSamples * granuleScale)
            writer.append(packet: Array(packet[0..<length]), granulePosition: granule)
            // About one page a second, as opusenc does by default.
            if isLast { writer.flush(isLast: true) } else if (index + 1) % (1000 / configuration.frameDuration.rawValue) == 0 { writer.flush() }
        }
        return writer.output
    }

    /// Decodes an Ogg Opus file to mono 48 kHz floats (stereo is averaged to mono).
    public static func decode(_ data: [UInt8]) throws -> Decoded {
        let packets = try OggPacketReader.packets(in: data)
        guard let first = packets.first else { throw OggError.notOpus }
        let head = try OpusHead(parsing: first.bytes)
        guard packets.count >= 2, packets[1].bytes.starts(with: Array("OpusTags".utf8)) else {
            throw OggError.invalidOpusHeader("missing OpusTags packet")
        }
        let audio = packets.dropFirst(2)
        guard !audio.isEmpty else { throw OggError.noAudio }

        var decoder = try OpusDecoder(sampleRate: 48000, channels: head.channelCount)
        if head.outputGain != 0 { try decoder.setGain(q8dB: head.outputGain) }
        let maximumFrame = OpusSampleRate.maximumFrameSamples(atSampleRate: 48000)
        var pcm = [Float](repeating: 0, count: maximumFrame * head.channelCount)
        var samples: [Float] = []
        samples.reserveCapacity(audio.count * 960)
        var lastGranule: Int64 = -1
        for packet in audio {
            let count = try packet.bytes.withUnsafeBytes { bytes in
                try pcm.withUnsafeMutableBufferPointer { try decoder.decode(bytes, into: $0) }
            }
            if head.channelCount == 1 {
                samples.append(contentsOf: pcm[0..<count])
            } else {
                for index in 0..<count { samples.append((pcm[2 * index] + pcm[2 * index + 1]) / 2) }
            }
            if packet.granulePosition >= 0 { lastGranule = packet.granulePosition }
        }
        // The last page's granule position says where the audio really ends (RFC 7845 4.5).
        var end = samples.count
        if lastGranule >= 0 { end = min(end, max(Int(lastGranule), head.preSkip)) }
        let start = min(head.preSkip, end)
        return Decoded(samples: Array(samples[start..<end]), head: head)
    }

    private static func tagsPacket() -> [UInt8] {
        let vendor = Array("VoiceRelay".utf8)
        var bytes = Array("OpusTags".utf8)
        bytes.append(contentsOf: [UInt8(vendor.count), 0, 0, 0])
        bytes.append(contentsOf: vendor)
        bytes.append(contentsOf: [0, 0, 0, 0])
        return bytes
    }
}
