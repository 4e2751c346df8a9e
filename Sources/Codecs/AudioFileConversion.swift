/// Converts audio files between ``AudioFileFormat``s in memory, resampling with ``Resampler``.
///
/// All checks happen before any output exists, so a failed conversion never leaves a partial file.
public struct AudioFileConversion: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case inputRateRequired
        case inputRateNotApplicable(AudioFileFormat)
        case impossibleRate(AudioFileFormat, Int)
        case unsupportedResampling(from: Int, to: Int)
        case emptyInput

        public var description: String {
            switch self {
            case .inputRateRequired: "a .raw input needs its sample rate (--in-rate)"
            case .inputRateNotApplicable(let format): "--in-rate applies to .raw input only, not .\(format.rawValue)"
            case .impossibleRate(let format, let rate): "a .\(format.rawValue) file cannot hold \(rate) Hz audio"
            case .unsupportedResampling(let from, let to): "cannot resample \(from) Hz to \(to) Hz"
            case .emptyInput: "the input holds no audio"
            }
        }
    }

    public var inputFormat: AudioFileFormat
    public var outputFormat: AudioFileFormat
    /// The rate of a `.raw` input.
    public var inputRate: Int?
    /// The rate to write; nil keeps the input's rate where the output format allows.
    public var outputRate: Int?
    /// Encoder settings for `.opus` output (its sample rate is set from the output rate).
    public var opus: OpusEncoder.Configuration

    /// A finished conversion: the output file's bytes and what was done to get them.
    public struct Output: Sendable {
        public var bytes: [UInt8]
        public var inputRate: Int
        public var outputRate: Int
        /// The streaming delay of the resampler used (removed from the file), nil when none ran.
        public var resamplerDelaySeconds: Double?
    }

    public init(from inputFormat: AudioFileFormat, to outputFormat: AudioFileFormat, inputRate: Int? = nil,
                outputRate: Int? = nil, opus: OpusEncoder.Configuration = .init(bitrate: 32000, complexity: 9)) {
        self.inputFormat = inputFormat
        self.outputFormat = outputFormat
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.opus = opus
    }

    public func convert(_ input: [UInt8]) throws -> Output {
        if inputRate != nil && inputFormat != .raw { throw Failure.inputRateNotApplicable(inputFormat) }
        if inputFormat == .raw && inputRate == nil { throw Failure.inputRateRequired }
        if let outputRate, !outputFormat.canHold(sampleRate: outputRate) {
            throw Failure.impossibleRate(outputFormat, outputRate)
        }
        let (samples, rate) = try decode(input)
        guard !samples.isEmpty else { throw Failure.emptyInput }
        let targetRate = outputRate ?? outputFormat.fixedSampleRate ?? (outputFormat.canHold(sampleRate: rate) ? rate : 48000)
        guard Resampler.supports(from: rate, to: targetRate) else {
            throw Failure.unsupportedResampling(from: rate, to: targetRate)
        }
        let resampled = Resampler.resampleWholeSignal(samples, from: rate, to: targetRate)
        let delay = rate == targetRate ? nil : Resampler(from: rate, to: targetRate).delaySeconds
        return Output(bytes: try encode(resampled, sampleRate: targetRate), inputRate: rate, outputRate: targetRate,
                      resamplerDelaySeconds: delay)
    }

    /// The input as floats and its sample rate.
    private func decode(_ input: [UInt8]) throws -> ([Float], Int) {
        switch inputFormat {
        case .wav:
            let audio = try WAVFile.read(input)
            return (Self.floats(audio.samples), audio.sampleRate)
        case .raw:
            guard let inputRate, inputRate > 0, inputRate <= 384_000 else { throw Failure.impossibleRate(.raw, inputRate ?? 0) }
            let samples = (0..<input.count / 2).map { Int16(bitPattern: UInt16(input[2 * $0]) | UInt16(input[2 * $0 + 1]) << 8) }
            return (Self.floats(samples), inputRate)
        case .muLaw, .aLaw:
            var samples = [Int16](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { codes in
                samples.withUnsafeMutableBufferPointer {
                    if inputFormat == .muLaw { MuLaw.decode(codes, into: $0) } else { ALaw.decode(codes, into: $0) }
                }
            }
            return (Self.floats(samples), 8000)
        case .opus:
            let decoded = try OggOpusFile.decode(input)
            // Like opusdec: come back at the rate the audio had before encoding, when it is one of ours.
            let original = decoded.head.inputSampleRate
            if outputRate == nil, outputFormat.fixedSampleRate == nil, OpusSampleRate.supported.contains(original) {
                return (Resampler.resampleWholeSignal(decoded.samples, from: 48000, to: original), original)
            }
            return (decoded.samples, OggOpusFile.Decoded.sampleRate)
        }
    }

    private func encode(_ samples: [Float], sampleRate: Int) throws -> [UInt8] {
        switch outputFormat {
        case .wav:
            return WAVFile.write(.init(samples: Self.int16s(samples), sampleRate: sampleRate))
        case .raw:
            return Self.int16s(samples).flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        case .muLaw, .aLaw:
            let pcm = Self.int16s(samples)
            var codes = [UInt8](repeating: 0, count: pcm.count)
            pcm.withUnsafeBufferPointer { pcm in
                codes.withUnsafeMutableBufferPointer {
                    if outputFormat == .muLaw { MuLaw.encode(pcm, into: $0) } else { ALaw.encode(pcm, into: $0) }
                }
            }
            return codes
        case .opus:
            var configuration = opus
            configuration.sampleRate = sampleRate
            return try OggOpusFile.encode(samples, configuration: configuration)
        }
    }

    private static func floats(_ samples: [Int16]) -> [Float] {
        var floats = [Float](repeating: 0, count: samples.count)
        samples.withUnsafeBufferPointer { input in floats.withUnsafeMutableBufferPointer { PCM.convert(input, into: $0) } }
        return floats
    }

    private static func int16s(_ floats: [Float]) -> [Int16] {
        var samples = [Int16](repeating: 0, count: floats.count)
        floats.withUnsafeBufferPointer { input in samples.withUnsafeMutableBufferPointer { PCM.convert(input, into: $0) } }
        return samples
    }
}
