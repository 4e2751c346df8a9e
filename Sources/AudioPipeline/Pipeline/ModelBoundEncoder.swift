import Codecs

/// The last inbound stage: decoded caller audio to the model's format (resampled when the rates
/// differ), into a reused buffer. Also hands back the model-rate floats, which the VAD reads.
public struct ModelBoundEncoder: Sendable {
    public let format: ModelAudioFormat
    public let inputRate: Int
    private var resampler: Resampler?
    private var resampled: [Float]
    private var bytes: [UInt8]

    public init(format: ModelAudioFormat, inputRate: Int) {
        self.format = format
        self.inputRate = inputRate
        let maximumInput = inputRate / 50
        if inputRate != format.sampleRate {
            let resampler = Resampler(from: inputRate, to: format.sampleRate, blockSize: maximumInput)
            self.resampled = [Float](repeating: 0, count: resampler.maximumOutputCount(forInputCount: maximumInput))
            self.resampler = resampler
        } else {
            self.resampled = [Float](repeating: 0, count: maximumInput)
        }
        self.bytes = [UInt8](repeating: 0, count: resampled.count * 2)
    }

    /// Converts one decoded frame; `body` receives the bytes for the model and the same audio as floats.
    public mutating func encode<Result>(_ pcm: UnsafeBufferPointer<Float>,
                                        _ body: (UnsafeRawBufferPointer, UnsafeBufferPointer<Float>) -> Result) -> Result {
        let format = self.format
        return resampled.withUnsafeMutableBufferPointer { resampled in
            let count: Int
            if resampler != nil {
                count = resampler!.process(pcm, into: resampled)
            } else {
                resampled.baseAddress!.update(from: pcm.baseAddress!, count: pcm.count)
                count = pcm.count
            }
            let floats = UnsafeBufferPointer(rebasing: resampled[0..<count])
            return bytes.withUnsafeMutableBytes { bytes in
                switch format {
                case .pcm16:
                    let samples = bytes.bindMemory(to: Int16.self)
                    PCM.convert(floats, into: samples)
                    // Wire order is little-endian; byteswap on a big-endian host.
                    if 1.littleEndian != 1 { for index in 0..<count { samples[index] = samples[index].littleEndian } }
                    return body(UnsafeRawBufferPointer(rebasing: bytes[0..<count * 2]), floats)
                case .muLaw:
                    MuLaw.encode(floats, into: bytes.bindMemory(to: UInt8.self))
                    return body(UnsafeRawBufferPointer(rebasing: bytes[0..<count]), floats)
                }
            }
        }
    }
}
