@testable import AudioPipeline
import Codecs
import Foundation
import Testing

/// The caller's side in each encoding a carrier streams: A-law and 16 kHz linear PCM in from the
/// caller to a 24 kHz model, and the model's 24 kHz audio out to the caller in the same encoding.
@Suite struct CallerEncodingTests {
    /// Zero crossings per second of `samples` at `rate` (twice a pure tone's frequency).
    static func crossingsPerSecond(_ samples: ArraySlice<Float>, rate: Int) -> Double {
        let crossings = zip(samples, samples.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        return Double(crossings) * Double(rate) / Double(samples.count)
    }

    static func rms(_ samples: ArraySlice<Float>) -> Double {
        (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
    }

    static func model24k(_ bytes: [UInt8]) -> [Float] {
        stride(from: 0, to: bytes.count - 1, by: 2).map { Float(Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)) / 32768 }
    }

    /// A 16 kHz caller's 5 kHz tone (beyond any 8 kHz call) reaches the 24 kHz model at its
    /// pitch and level, in either byte order; the VAD hears it.
    @Test(arguments: [false, true])
    func aWidebandCallersToneReachesTheModelWhole(bigEndian: Bool) {
        var path = InboundPath(decoder: Linear16Decoder(sampleRate: 16000, bigEndian: bigEndian), jitterMode: .forwardImmediately,
                               modelFormat: .pcm16(sampleRate: 24000))
        let tone = [Float](repeating: 0, count: 8000) + TestAudio.sine(5000, rate: 16000, count: 16000) + [Float](repeating: 0, count: 8000)
        var bytes = TestAudio.pcm16Bytes(tone)
        if bigEndian { for index in stride(from: 0, to: bytes.count, by: 2) { bytes.swapAt(index, index + 1) } }
        var modelBytes: [UInt8] = []
        var events: [VoiceActivityDetector.Event] = []
        for (index, start) in stride(from: 0, to: bytes.count, by: 640).enumerated() {
            let frame = bytes[start..<start + 640].withUnsafeBytes { Linear16Frame(sequence: UInt32(index + 1), bytes: $0)! }
            path.receive(frame, sequence: frame.sequence, arrivalNs: UInt64(index) * 20_000_000)
            path.process(now: UInt64(index) * 20_000_000, model: { modelBytes += $0 }, speech: { events.append($0) })
        }
        #expect(modelBytes.count == 100 * 960)
        let model = Self.model24k(modelBytes)
        let steady = model[(24000 * 7 / 10)..<(24000 * 13 / 10)]
        #expect(abs(Self.crossingsPerSecond(steady, rate: 24000) - 10000) < 60)
        #expect(abs(20 * log10(Self.rms(steady) * 2.squareRoot() / 0.3)) < 0.5)
        #expect(events.contains { if case .speechStarted = $0 { true } else { false } })
    }

    @Test func anALawCallerIsDecodedAsALaw() {
        var path = InboundPath(decoder: ALawDecoder(), jitterMode: .forwardImmediately, modelFormat: .pcm16(sampleRate: 24000))
        let tone = TestAudio.sine(440, rate: 8000, count: 8000)
        var linear = [Int16](repeating: 0, count: tone.count), codes = [UInt8](repeating: 0, count: tone.count)
        tone.withUnsafeBufferPointer { input in linear.withUnsafeMutableBufferPointer { PCM.convert(input, into: $0) } }
        linear.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { ALaw.encode(input, into: $0) } }
        var modelBytes: [UInt8] = []
        for (index, start) in stride(from: 0, to: codes.count, by: 160).enumerated() {
            let frame = codes[start..<start + 160].withUnsafeBytes { G711Frame(sequence: UInt32(index + 1), bytes: $0)! }
            path.receive(frame, sequence: frame.sequence, arrivalNs: 0)
            path.process(now: 0, model: { modelBytes += $0 }, speech: { _ in })
        }
        let steady = Self.model24k(modelBytes)[2400..<21600]
        #expect(abs(Self.crossingsPerSecond(steady, rate: 24000) - 880) < 10)
        // Read as mu-law, the same codes would be noise at the wrong level: this is A-law decoding.
        #expect(abs(20 * log10(Self.rms(steady) * 2.squareRoot() / 0.3)) < 0.5)
    }

    /// The model's 24 kHz speech goes to a 16 kHz caller as 640-byte frames at its own pitch
    /// (a 6 kHz tone an 8 kHz call could not carry), and to an A-law caller as A-law.
    @Test(arguments: [CallerAudioEncoding.linear16(sampleRate: 16000), .linear16BigEndian(sampleRate: 16000), .aLaw])
    func modelAudioReachesTheCallerInItsEncoding(encoding: CallerAudioEncoding) {
        let ring = OutboundFrameRing(minimumCapacity: 64, encoding: encoding)
        var path = OutboundPath(format: .pcm16(sampleRate: 24000), caller: encoding)
        let frequency = encoding == .aLaw ? 1000.0 : 6000
        let bytes = TestAudio.pcm16Bytes(TestAudio.sine(frequency, rate: 24000, count: 24000))
        for start in stride(from: 0, to: bytes.count, by: 1234) {
            bytes[start..<min(start + 1234, bytes.count)].withUnsafeBytes { path.append($0, item: 1, into: ring) }
        }
        path.finishItem(into: ring)
        var samples: [Float] = []
        var frames = 0
        while let frame = ring.pop() {
            let audio = ring.audio(of: frame)
            #expect(audio.count == encoding.bytesPerFrame)
            frames += 1
            switch encoding {
            case .aLaw:
                var linear = [Int16](repeating: 0, count: 160)
                linear.withUnsafeMutableBufferPointer { ALaw.decode(audio.bindMemory(to: UInt8.self), into: $0) }
                samples += linear.map { Float($0) / 32768 }
            case .linear16BigEndian:
                samples += stride(from: 0, to: audio.count, by: 2).map { Float(Int16(bitPattern: UInt16(audio[$0]) << 8 | UInt16(audio[$0 + 1]))) / 32768 }
            default:
                samples += stride(from: 0, to: audio.count, by: 2).map { Float(Int16(bitPattern: UInt16(audio[$0]) | UInt16(audio[$0 + 1]) << 8)) / 32768 }
            }
        }
        #expect(frames == 50)
        let rate = encoding.sampleRate
        let steady = samples[(rate / 10)..<(rate * 9 / 10)]
        #expect(abs(Self.crossingsPerSecond(steady, rate: rate) - 2 * frequency) < 2 * frequency * 0.01)
        #expect(abs(20 * log10(Self.rms(steady) * 2.squareRoot() / 0.3)) < 0.5)
    }

    /// The model's 24 kHz speech goes to an Opus caller (Telnyx at 16 kHz) as one packet per 20 ms,
    /// each within an outbound slot, which decode to the tone at its pitch and level.
    @Test func modelAudioReachesAnOpusCallerAsOnePacketPerFrame() throws {
        let encoding = CallerAudioEncoding.opus(sampleRate: 16000)
        let ring = OutboundFrameRing(minimumCapacity: 64, encoding: encoding)
        var path = OutboundPath(format: .pcm16(sampleRate: 24000), caller: encoding)
        let bytes = TestAudio.pcm16Bytes(TestAudio.sine(1000, rate: 24000, count: 24000))
        for start in stride(from: 0, to: bytes.count, by: 1234) {
            bytes[start..<min(start + 1234, bytes.count)].withUnsafeBytes { path.append($0, item: 1, into: ring) }
        }
        path.finishItem(into: ring)
        var decoder = try OpusDecoder(sampleRate: 16000)
        var samples: [Float] = []
        var sizes: [Int] = []
        while let frame = ring.pop() {
            let packet = ring.audio(of: frame)
            sizes.append(packet.count)
            var pcm = [Float](repeating: 0, count: 320)
            let count = try pcm.withUnsafeMutableBufferPointer { try decoder.decode(packet, into: $0) }
            #expect(count == 320)
            samples += pcm
        }
        #expect(sizes.count == 50 && sizes.allSatisfy { (1...OpusPacketFrame.maximumBytes).contains($0) }, "\(sizes)")
        #expect(Set(sizes).count > 1 || sizes[0] < 160, "packets are compressed: \(sizes.prefix(5))")
        let steady = samples[1600..<14400]
        #expect(abs(Self.crossingsPerSecond(steady, rate: 16000) - 2000) < 20)
        #expect(abs(20 * log10(Self.rms(steady) * 2.squareRoot() / 0.3)) < 1.5)
    }

    /// A mu-law model's audio reaches an A-law caller re-encoded, and the ring's slab holds each
    /// frame's audio until the next pop even while the producer refills the ring.
    @Test func aMuLawModelReachesAnALawCallerAndTheSlabNeverTearsAFrame() {
        let ring = OutboundFrameRing(minimumCapacity: 4, encoding: .aLaw)
        var path = OutboundPath(format: .muLaw, caller: .aLaw)
        var codes = [UInt8](repeating: 0, count: 160)
        let tone = TestAudio.sine(500, rate: 8000, count: 160)
        tone.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        for _ in 0..<4 { codes.withUnsafeBytes { path.append($0, item: 1, into: ring) } }
        #expect(ring.count == 4)
        let first = ring.pop()!
        let held = Array(ring.audio(of: first))
        // The ring has room again: the producer fills it while the consumer still reads `first`.
        codes.withUnsafeBytes { path.append($0, item: 1, into: ring) }
        #expect(ring.count == 4)
        #expect(Array(ring.audio(of: first)) == held)
        var linear = [Int16](repeating: 0, count: 160)
        held.withUnsafeBufferPointer { codes in linear.withUnsafeMutableBufferPointer { ALaw.decode(codes, into: $0) } }
        let decoded = linear.map { Float($0) / 32768 }
        let error = zip(decoded, tone).map { Double($0 - $1) }.map { $0 * $0 }.reduce(0, +) / 160
        #expect(10 * log10(Self.rms(tone[...]) * Self.rms(tone[...]) / error) > 30, "A-law of the mu-law tone")
    }
}
