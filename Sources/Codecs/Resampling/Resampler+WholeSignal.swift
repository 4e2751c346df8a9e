extension Resampler {
    /// Resamples a complete signal with the filter delay removed: output sample `i` lines up
    /// with input time `i / outputRate`, and the output has `round(count * out / in)` samples.
    /// For files; a live stream keeps the delay and uses ``process(_:into:)``.
    public static func resampleWholeSignal(_ samples: [Float], from inputRate: Int, to outputRate: Int,
                                           quality: Quality = .telephony) -> [Float] {
        guard inputRate != outputRate else { return samples }
        var resampler = Resampler(from: inputRate, to: outputRate, quality: quality)
        let wanted = Int((Double(samples.count) * Double(outputRate) / Double(inputRate)).rounded())
        let delay = resampler.delayInOutputSamples
        // Enough trailing zeros to push the last real sample through the filter's delay.
        let tail = [Float](repeating: 0, count: (delay + 2) * inputRate / outputRate + resampler.tapsPerPhase + 2)
        // Each call may produce one sample more than its share, so size for the two calls separately.
        var output = [Float](repeating: 0, count: resampler.maximumOutputCount(forInputCount: samples.count)
                                                  + resampler.maximumOutputCount(forInputCount: tail.count))
        var written = 0
        output.withUnsafeMutableBufferPointer { output in
            written = samples.withUnsafeBufferPointer { resampler.process($0, into: output) }
            written += tail.withUnsafeBufferPointer {
                resampler.process($0, into: UnsafeMutableBufferPointer(rebasing: output[written...]))
            }
        }
        let end = min(written, delay + wanted)
        return Array(output[min(delay, end)..<end])
    }
}
