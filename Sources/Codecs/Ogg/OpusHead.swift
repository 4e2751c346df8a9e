/// The Ogg Opus identification header (RFC 7845 section 5.1).
public struct OpusHead: Sendable, Equatable {
    public var channelCount: Int
    /// Samples at 48 kHz to discard from the start of the decoded stream (encoder lookahead).
    public var preSkip: Int
    /// The rate of the audio before encoding; informational, decoders may pick any rate.
    public var inputSampleRate: Int
    /// Gain to apply on decode, dB in Q7.8.
    public var outputGain: Int
    public var channelMappingFamily: Int

    static let magic = Array("OpusHead".utf8)

    public init(channelCount: Int, preSkip: Int, inputSampleRate: Int, outputGain: Int = 0, channelMappingFamily: Int = 0) {
        self.channelCount = channelCount
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        self.outputGain = outputGain
        self.channelMappingFamily = channelMappingFamily
    }

    init(parsing packet: [UInt8]) throws(OggError) {
        guard packet.count >= 8, Array(packet[0..<8]) == Self.magic else { throw .notOpus }
        guard packet.count >= 19 else { throw .invalidOpusHeader("OpusHead is \(packet.count) bytes, needs 19") }
        guard packet[8] >> 4 == 0 else { throw .invalidOpusHeader("major version \(packet[8] >> 4) is not 0") }
        channelCount = Int(packet[9])
        preSkip = Int(packet[10]) | Int(packet[11]) << 8
        inputSampleRate = Int(packet[12]) | Int(packet[13]) << 8 | Int(packet[14]) << 16 | Int(packet[15]) << 24
        outputGain = Int(Int16(bitPattern: UInt16(packet[16]) | UInt16(packet[17]) << 8))
        channelMappingFamily = Int(packet[18])
        guard channelCount >= 1 else { throw .invalidOpusHeader("zero channels") }
        guard channelMappingFamily == 0, channelCount <= 2 else {
            throw .unsupportedChannelMapping(family: channelMappingFamily, channels: channelCount)
        }
    }

    var packet: [UInt8] {
        var bytes = Self.magic
        bytes.append(1)
        bytes.append(UInt8(channelCount))
        bytes.append(contentsOf: [UInt8(preSkip & 0xFF), UInt8(preSkip >> 8)])
        bytes.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: inputSampleRate >> (8 * $0)) })
        let gain = UInt16(bitPattern: Int16(outputGain))
        bytes.append(contentsOf: [UInt8(gain & 0xFF), UInt8(gain >> 8)])
        bytes.append(UInt8(channelMappingFamily))
        return bytes
    }
}
