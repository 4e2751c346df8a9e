import Benchmark
import CLibOpus
import CSpeexDSP
import Codecs

/// Per-20 ms-frame costs of the codec layer, each next to the obvious alternative:
/// the relay's two hot conversions, the resampler against libspeexdsp, and the Opus
/// wrapper against libopus called directly.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        warmupIterations: 200,
        scalingFactor: .kilo,
        maxDuration: .seconds(2)
    )

    let speech = TestSignal.speechLike(sampleRate: 24000, seconds: 1)
    let speech8k = TestSignal.speechLike(sampleRate: 8000, seconds: 1)
    let muLawFrame: [UInt8] = {
        var codes = [UInt8](repeating: 0, count: 160)
        speech8k[0..<160].withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        return codes
    }()

    // MARK: The relay's two conversions per frame

    Benchmark("inbound: mu-law decode + 8k->24k (20 ms)") { benchmark in
        var resampler = Resampler(from: 8000, to: 24000)
        var decoded = [Float](repeating: 0, count: 160)
        var upsampled = [Float](repeating: 0, count: resampler.maximumOutputCount(forInputCount: 160))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            muLawFrame.withUnsafeBufferPointer { codes in decoded.withUnsafeMutableBufferPointer { MuLaw.decode(codes, into: $0) } }
            decoded.withUnsafeBufferPointer { input in
                upsampled.withUnsafeMutableBufferPointer { blackHole(resampler.process(input, into: $0)) }
            }
        }
    }

    Benchmark("outbound: 24k->8k + mu-law encode (20 ms)") { benchmark in
        var resampler = Resampler(from: 24000, to: 8000)
        var downsampled = [Float](repeating: 0, count: resampler.maximumOutputCount(forInputCount: 480))
        var codes = [UInt8](repeating: 0, count: downsampled.count)
        let frame = speech[0..<480].map { Float($0) / 32768 }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let count = frame.withUnsafeBufferPointer { input in
                downsampled.withUnsafeMutableBufferPointer { resampler.process(input, into: $0) }
            }
            downsampled.withUnsafeBufferPointer { samples in
                codes.withUnsafeMutableBufferPointer {
                    MuLaw.encode(UnsafeBufferPointer(rebasing: samples[0..<count]), into: $0)
                }
            }
            blackHole(codes[0])
        }
    }

    // MARK: Resampler against libspeexdsp, same frames

    for (from, to) in [(8000, 24000), (24000, 8000)] {
        let inputCount = from / 50
        let input = TestSignal.speechLike(sampleRate: from, seconds: 1)[0..<inputCount].map { Float($0) / 32768 }

        Benchmark("resample \(from / 1000)k->\(to / 1000)k (20 ms): VoiceRelay") { benchmark in
            var resampler = Resampler(from: from, to: to)
            var output = [Float](repeating: 0, count: resampler.maximumOutputCount(forInputCount: inputCount))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                input.withUnsafeBufferPointer { input in
                    output.withUnsafeMutableBufferPointer { blackHole(resampler.process(input, into: $0)) }
                }
            }
        }

        for quality: Int32 in [4, 8] {
            Benchmark("resample \(from / 1000)k->\(to / 1000)k (20 ms): speexdsp q\(quality)") { benchmark in
                var error: Int32 = 0
                let state = speex_resampler_init(1, UInt32(from), UInt32(to), quality, &error)!
                defer { speex_resampler_destroy(state) }
                var output = [Float](repeating: 0, count: inputCount * to / from + 8)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    var inLength = UInt32(inputCount)
                    var outLength = UInt32(output.count)
                    input.withUnsafeBufferPointer { input in
                        output.withUnsafeMutableBufferPointer {
                            blackHole(speex_resampler_process_float(state, 0, input.baseAddress!, &inLength, $0.baseAddress!, &outLength))
                        }
                    }
                }
            }
        }
    }

    // MARK: Opus wrapper against libopus directly

    for rate in [8000, 48000] {
        let samplesPerFrame = rate / 50
        let pcm = Array(TestSignal.speechLike(sampleRate: rate, seconds: 1)[0..<samplesPerFrame])
        let configuration = OpusEncoder.Configuration(sampleRate: rate, bitrate: 24000, complexity: 5)

        Benchmark("opus encode \(rate / 1000)k (20 ms): VoiceRelay") { benchmark in
            var encoder = try OpusEncoder(configuration: configuration)
            var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketBytes)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let length = try pcm.withUnsafeBufferPointer { input in
                    try packet.withUnsafeMutableBytes { try encoder.encode(input, into: $0) }
                }
                blackHole(length)
            }
        }

        Benchmark("opus encode \(rate / 1000)k (20 ms): libopus direct") { benchmark in
            var status: Int32 = 0
            let encoder = opus_encoder_create(Int32(rate), 1, OPUS_APPLICATION_VOIP, &status)!
            defer { opus_encoder_destroy(encoder) }
            // Same settings the wrapper applies (bitrate, complexity, voice signal).
            DirectOpus.configure(encoder, bitrate: 24000, complexity: 5)
            var packet = [UInt8](repeating: 0, count: 1500)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let length = pcm.withUnsafeBufferPointer { input in
                    packet.withUnsafeMutableBufferPointer { opus_encode(encoder, input.baseAddress!, Int32(samplesPerFrame), $0.baseAddress!, 1500) }
                }
                blackHole(length)
            }
        }

        let packets: [[UInt8]] = {
            var encoder = try! OpusEncoder(configuration: configuration)
            let signal = TestSignal.speechLike(sampleRate: rate, seconds: 1)
            var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketBytes)
            return (0..<50).map { index in
                let length = try! signal[index * samplesPerFrame..<(index + 1) * samplesPerFrame].withUnsafeBufferPointer { input in
                    try packet.withUnsafeMutableBytes { try encoder.encode(input, into: $0) }
                }
                return Array(packet[0..<length])
            }
        }()

        Benchmark("opus decode \(rate / 1000)k (20 ms): VoiceRelay") { benchmark in
            var decoder = try OpusDecoder(sampleRate: rate)
            var output = [Int16](repeating: 0, count: samplesPerFrame)
            var index = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let count = try packets[index].withUnsafeBytes { packet in
                    try output.withUnsafeMutableBufferPointer { try decoder.decode(packet, into: $0) }
                }
                blackHole(count)
                index = (index + 1) % packets.count
            }
        }

        Benchmark("opus decode \(rate / 1000)k (20 ms): libopus direct") { benchmark in
            var status: Int32 = 0
            let decoder = opus_decoder_create(Int32(rate), 1, &status)!
            defer { opus_decoder_destroy(decoder) }
            var output = [Int16](repeating: 0, count: samplesPerFrame)
            var index = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let count = packets[index].withUnsafeBufferPointer { packet in
                    output.withUnsafeMutableBufferPointer {
                        opus_decode(decoder, packet.baseAddress!, Int32(packet.count), $0.baseAddress!, Int32(samplesPerFrame), 0)
                    }
                }
                blackHole(count)
                index = (index + 1) % packets.count
            }
        }
    }
}
