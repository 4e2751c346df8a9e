/// RIFF/WAVE files holding 16-bit linear PCM.
///
/// Reading accepts mono or stereo (stereo is averaged to mono), plain PCM or
/// WAVE_FORMAT_EXTENSIBLE with the PCM sub-format; writing produces mono 16-bit PCM.
public enum WAVFile {
    public struct Audio: Sendable, Equatable {
        public var samples: [Int16]
        public var sampleRate: Int
        public init(samples: [Int16], sampleRate: Int) {
            self.samples = samples
            self.sampleRate = sampleRate
        }
    }

    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case notRIFFWAVE
        case missingChunk(String)
        case unsupportedEncoding(formatTag: Int, bitsPerSample: Int)
        case unsupportedChannelCount(Int)
        case invalidSampleRate(Int)

        public var description: String {
            switch self {
            case .notRIFFWAVE: "not a WAV file (no RIFF/WAVE header)"
            case .missingChunk(let name): "WAV file has no '\(name)' chunk"
            case .unsupportedEncoding(let tag, let bits):
                "unsupported WAV encoding (format tag \(tag), \(bits) bits per sample); only 16-bit PCM is read"
            case .unsupportedChannelCount(let count): "unsupported WAV channel count \(count); mono or stereo only"
            case .invalidSampleRate(let rate): "invalid WAV sample rate \(rate)"
            }
        }
    }

    public static func read(_ bytes: [UInt8]) throws(ReadError) -> Audio {
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw .notRIFFWAVE
        }
        var offset = 12
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let identifier = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let declared = Int(littleEndian32(bytes, offset + 4))
            let bodyStart = offset + 8
            // A streaming writer may leave the size at 0 or 0xFFFFFFFF: read to the end then.
            let size = (declared == 0 || declared == 0xFFFF_FFFF || bodyStart + declared > bytes.count)
                ? bytes.count - bodyStart : declared
            switch identifier {
            case "fmt ":
                guard size >= 16 else { throw .missingChunk("fmt ") }
                var tag = Int(littleEndian16(bytes, bodyStart))
                if tag == 0xFFFE, size >= 26 { tag = Int(littleEndian16(bytes, bodyStart + 24)) }
                format = (tag, Int(littleEndian16(bytes, bodyStart + 2)), Int(littleEndian32(bytes, bodyStart + 4)),
                          Int(littleEndian16(bytes, bodyStart + 14)))
            case "data":
                guard let format else { throw .missingChunk("fmt ") }
                guard format.tag == 1, format.bits == 16 else {
                    throw .unsupportedEncoding(formatTag: format.tag, bitsPerSample: format.bits)
                }
                guard format.channels == 1 || format.channels == 2 else { throw .unsupportedChannelCount(format.channels) }
                guard format.rate > 0, format.rate <= 384_000 else { throw .invalidSampleRate(format.rate) }
                let frameCount = size / (2 * format.channels)
                var samples = [Int16](repeating: 0, count: frameCount)
                for index in 0..<frameCount {
                    let base = bodyStart + index * 2 * format.channels
                    if format.channels == 1 {
                        samples[index] = Int16(bitPattern: littleEndian16(bytes, base))
                    } else {
                        let sum = Int(Int16(bitPattern: littleEndian16(bytes, base)))
                            + Int(Int16(bitPattern: littleEndian16(bytes, base + 2)))
                        samples[index] = Int16(sum >> 1)
                    }
                }
                return Audio(samples: samples, sampleRate: format.rate)
            default:
                break
            }
            offset = bodyStart + size + (size & 1)
        }
        throw .missingChunk(format == nil ? "fmt " : "data")
    }

    public static func write(_ audio: Audio) -> [UInt8] {
        let dataBytes = audio.samples.count * 2
        var bytes: [UInt8] = []
        bytes.reserveCapacity(44 + dataBytes)
        func append32(_ value: Int) { bytes.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }) }
        func append16(_ value: Int) { bytes.append(contentsOf: [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]) }
        bytes.append(contentsOf: "RIFF".utf8)
        append32(36 + dataBytes)
        bytes.append(contentsOf: "WAVEfmt ".utf8)
        append32(16)
        append16(1)
        append16(1)
        append32(audio.sampleRate)
        append32(audio.sampleRate * 2)
        append16(2)
        append16(16)
        bytes.append(contentsOf: "data".utf8)
        append32(dataBytes)
        for sample in audio.samples { append16(Int(sample)) }
        return bytes
    }

    private static func littleEndian16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private static func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
