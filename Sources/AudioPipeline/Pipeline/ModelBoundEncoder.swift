import Codecs

/// The last inbound stage: decoded caller audio to the model's format (resampled when the rates
/// differ). The model's bytes and the resampled floats (which the VAD may read) live on the
/// stack, each under a kilobyte for a 20 ms frame at up to 24 kHz, so a call keeps no buffer
/// here but the resampler's history.
public struct ModelBoundEncoder: Sendable {
    public let format: ModelAudioFormat
    public let inputRate: Int
    private var resampler: Resampler?
    /// Input samples resampled at a time: at most 256 floats come out.
    private let chunk: Int

    public init(format: ModelAudioFormat, inputRate: Int) {
        self.format = format
        self.inputRate = inputRate
        self.chunk = max(1, 255 * inputRate / format.sampleRate)
        if inputRate != format.sampleRate {
            self.resampler = Resampler(from: inputRate, to: format.sampleRate, blockSize: chunk)
        }
    }

    /// Converts one decoded frame: `floats` sees the audio at the model's rate (in pieces),
    /// then `body` receives the whole frame's bytes for the model.
    public mutating func encode<Result>(_ pcm: UnsafeBufferPointer<Float>, floats: (UnsafeBufferPointer<Float>) -> Void,
                                        _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let bytesPerSample = format == .muLaw ? 1 : 2
        let maximumOut = resampler?.maximumOutputCount(forInputCount: pcm.count) ?? pcm.count
        return withUnsafeTemporaryAllocation(byteCount: maximumOut * bytesPerSample, alignment: 2) { bytes in
            var written = 0
            var start = 0
            while start < pcm.count {
                let piece = UnsafeBufferPointer(rebasing: pcm[start..<min(start + chunk, pcm.count)])
                start += piece.count
                guard resampler != nil else {
                    written += store(piece, into: bytes, at: written)
                    floats(piece)
                    continue
                }
                withUnsafeTemporaryAllocation(of: Float.self, capacity: resampler!.maximumOutputCount(forInputCount: piece.count)) { resampled in
                    let count = resampler!.process(piece, into: resampled)
                    let out = UnsafeBufferPointer(rebasing: resampled[0..<count])
                    written += store(out, into: bytes, at: written)
                    floats(out)
                }
            }
            return body(UnsafeRawBufferPointer(rebasing: bytes[0..<written * bytesPerSample]))
        }
    }

    /// Writes `samples` in the model's format at sample index `index` of `bytes`; returns how many.
    private func store(_ samples: UnsafeBufferPointer<Float>, into bytes: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        switch format {
        case .pcm16:
            let output = UnsafeMutableBufferPointer(rebasing: bytes.bindMemory(to: Int16.self)[index..<(index + samples.count)])
            PCM.convert(samples, into: output)
            // Wire order is little-endian; byteswap on a big-endian host.
            if 1.littleEndian != 1 { for position in output.indices { output[position] = output[position].littleEndian } }
        case .muLaw:
            MuLaw.encode(samples, into: UnsafeMutableBufferPointer(rebasing: bytes.bindMemory(to: UInt8.self)[index..<(index + samples.count)]))
        }
        return samples.count
    }
}
