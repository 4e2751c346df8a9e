/// A stretch of speech found in a recording.
public struct SpeechSegment: Sendable, Equatable, Codable {
    /// Start of the first speech-like frame, ms from the start of the audio.
    public var startMs: Int
    /// End of the segment including the hangover, ms (the moment the end was declared).
    public var endMs: Int
    /// When the detector declared the start (end of the frame that confirmed it), ms.
    public var detectedMs: Int
}

extension VoiceActivityDetector {
    /// Runs a fresh detector over a whole signal and returns its speech segments
    /// (a segment still open at the end closes there).
    public static func segments(of samples: [Float], configuration: Configuration) -> [SpeechSegment] {
        var detector = VoiceActivityDetector(configuration: configuration)
        let frameSamples = configuration.samplesPerFrame
        let frameMs = configuration.frameDurationMs
        var segments: [SpeechSegment] = []
        var open: (start: Int, detected: Int)?
        samples.withUnsafeBufferPointer { samples in
            for start in stride(from: 0, to: samples.count - frameSamples + 1, by: frameSamples) {
                let frame = UnsafeBufferPointer(rebasing: samples[start..<start + frameSamples])
                let index = detector.frameIndex
                switch detector.process(frame) {
                case .speechStarted(let onsetFrame):
                    open = (onsetFrame * frameMs, (index + 1) * frameMs)
                case .speechEnded:
                    if let segment = open {
                        segments.append(SpeechSegment(startMs: segment.start, endMs: (index + 1) * frameMs, detectedMs: segment.detected))
                    }
                    open = nil
                case .none:
                    break
                }
            }
        }
        if let segment = open {
            segments.append(SpeechSegment(startMs: segment.start, endMs: detector.frameIndex * frameMs, detectedMs: segment.detected))
        }
        return segments
    }
}
