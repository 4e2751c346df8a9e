@testable import Codecs
import Foundation
import Testing

@Suite struct OpusTests {
    static func voice(rate: Int, count: Int) -> [Float] {
        (0..<count).map { index in
            let t = Double(index) / Double(rate)
            return Float(0.3 * sin(2 * .pi * 220 * t) + 0.15 * sin(2 * .pi * 660 * t) + 0.05 * sin(2 * .pi * 1500 * t))
        }
    }

    static func encodeFrames(_ signal: [Float], configuration: OpusEncoder.Configuration) throws -> [[UInt8]] {
        var encoder = try OpusEncoder(configuration: configuration)
        let size = configuration.samplesPerFrame
        var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketBytes)
        return try stride(from: 0, to: signal.count - size + 1, by: size).map { start in
            let length = try signal[start..<start + size].withUnsafeBufferPointer { pcm in
                try packet.withUnsafeMutableBytes { try encoder.encode(pcm, into: $0) }
            }
            return Array(packet[0..<length])
        }
    }

    static func snrDB(_ reference: ArraySlice<Float>, _ test: ArraySlice<Float>) -> Double {
        var signal = 0.0, noise = 0.0
        for (a, b) in zip(reference, test) {
            signal += Double(a * a)
            noise += Double((a - b) * (a - b))
        }
        return 10 * log10(signal / max(noise, 1e-20))
    }

    @Test(arguments: [8000, 16000, 24000, 48000], OpusFrameDuration.allCases)
    func roundTripsAtEveryRateAndFrameSize(rate: Int, duration: OpusFrameDuration) throws {
        let configuration = OpusEncoder.Configuration(sampleRate: rate, frameDuration: duration, bitrate: 32000)
        let signal = Self.voice(rate: rate, count: rate)
        let packets = try Self.encodeFrames(signal, configuration: configuration)
        var decoder = try OpusDecoder(sampleRate: rate)
        var output: [Float] = []
        var buffer = [Float](repeating: 0, count: OpusSampleRate.maximumFrameSamples(atSampleRate: rate))
        for packet in packets {
            let count = try packet.withUnsafeBytes { bytes in try buffer.withUnsafeMutableBufferPointer { try decoder.decode(bytes, into: $0) } }
            #expect(count == configuration.samplesPerFrame)
            output += buffer[0..<count]
        }
        // Opus delays by its lookahead; compare after removing it.
        let lookahead = try OpusEncoder(configuration: configuration).lookahead()
        let reference = signal[(rate / 10)..<(rate * 9 / 10)]
        let decoded = output[(rate / 10 + lookahead)..<(rate * 9 / 10 + lookahead)]
        // Opus is perceptual, not waveform-matching (SILK especially), so the bar is that the
        // decoded audio is aligned, of the same loudness, and clearly correlated with the input.
        let snr = Self.snrDB(reference, decoded)
        let levelDB = 10 * log10(decoded.reduce(0) { $0 + Double($1 * $1) } / reference.reduce(0) { $0 + Double($1 * $1) })
        #expect(snr > 4, "SNR \(snr) dB at \(rate) Hz, \(duration)")
        #expect(abs(levelDB) < 1.5, "level \(levelDB) dB at \(rate) Hz, \(duration)")
    }

    @Test func lostPacketIsConcealedAndFECRecoversBetterThanPLC() throws {
        let rate = 16000
        let configuration = OpusEncoder.Configuration(sampleRate: rate, bitrate: 32000, inbandFEC: true, expectedPacketLossPercent: 20)
        let signal = Self.voice(rate: rate, count: rate)
        let packets = try Self.encodeFrames(signal, configuration: configuration)
        let lost = 20
        let frame = configuration.samplesPerFrame

        func decodeAll(useFEC: Bool) throws -> [Float] {
            var decoder = try OpusDecoder(sampleRate: rate)
            var buffer = [Float](repeating: 0, count: frame)
            var output: [Float] = []
            for (index, packet) in packets.enumerated() {
                if index == lost {
                    let count: Int
                    if useFEC {
                        count = try packets[index + 1].withUnsafeBytes { next in
                            try buffer.withUnsafeMutableBufferPointer { try decoder.recover(fromNext: next, into: $0) }
                        }
                    } else {
                        count = try buffer.withUnsafeMutableBufferPointer { try decoder.conceal(into: $0) }
                    }
                    #expect(count == frame)
                } else {
                    _ = try packet.withUnsafeBytes { bytes in try buffer.withUnsafeMutableBufferPointer { try decoder.decode(bytes, into: $0) } }
                }
                output += buffer
            }
            return output
        }
        let lookahead = try OpusEncoder(configuration: configuration).lookahead()
        let concealed = try decodeAll(useFEC: false)
        let recovered = try decodeAll(useFEC: true)
        let lostRange = (lost * frame)..<((lost + 1) * frame)
        let reference = signal[(lostRange.lowerBound - lookahead)..<(lostRange.upperBound - lookahead)]
        let plcSNR = Self.snrDB(reference, concealed[lostRange])
        let fecSNR = Self.snrDB(reference, recovered[lostRange])
        // PLC produces plausible audio (not silence), FEC reconstructs it more faithfully.
        #expect(concealed[lostRange].contains { abs($0) > 0.01 })
        #expect(fecSNR > plcSNR, "FEC \(fecSNR) dB vs PLC \(plcSNR) dB")
    }

    @Test func dtxShrinksSilentPackets() throws {
        let silence = [Float](repeating: 0, count: 32000)
        let withDTX = try Self.encodeFrames(silence, configuration: .init(sampleRate: 16000, bitrate: 32000, dtx: true))
        let without = try Self.encodeFrames(silence, configuration: .init(sampleRate: 16000, bitrate: 32000, dtx: false))
        // Once DTX engages, most silent packets are the 1-2 byte kind (a refresh every 400 ms is larger).
        let settled = withDTX.suffix(50)
        #expect(settled.filter { $0.count <= 3 }.count >= 40, "\(settled.map(\.count))")
        #expect(settled.reduce(0) { $0 + $1.count } * 2 < without.suffix(50).reduce(0) { $0 + $1.count })
    }

    @Test func errorsAreTypedWithClearMessages() throws {
        #expect(throws: OpusError.self) { _ = try OpusEncoder(configuration: .init(sampleRate: 44100)) }
        do {
            _ = try OpusDecoder(sampleRate: 11025)
            Issue.record("a decoder at 11025 Hz must not be created")
        } catch {
            #expect(error.code == .badArgument)
            #expect(error.description.contains("opus_decoder_create"))
            #expect(error.description.contains("invalid argument"))
        }
        do {
            _ = try OpusEncoder(configuration: .init(complexity: 42))
            Issue.record("complexity 42 must be refused")
        } catch {
            #expect(error.code == .badArgument)
            #expect(error.description.contains("complexity 42"))
        }
        var decoder = try OpusDecoder(sampleRate: 48000)
        var output = [Float](repeating: 0, count: 960)
        // A packet whose TOC says code 3 (arbitrary frame count) but has no count byte.
        let garbage: [UInt8] = [0xFF]
        #expect {
            try garbage.withUnsafeBytes { bytes in try output.withUnsafeMutableBufferPointer { try decoder.decode(bytes, into: $0) } }
        } throws: { ($0 as? OpusError)?.code == .invalidPacket }
        // Encoding a frame of a duration Opus does not allow.
        var encoder = try OpusEncoder(configuration: .init(sampleRate: 48000))
        var packet = [UInt8](repeating: 0, count: 1500)
        let odd = [Float](repeating: 0, count: 500)
        #expect {
            try odd.withUnsafeBufferPointer { pcm in try packet.withUnsafeMutableBytes { try encoder.encode(pcm, into: $0) } }
        } throws: { ($0 as? OpusError)?.code == .badArgument }
    }

    @Test func everyLibopusCodeHasACase() {
        for raw in Int32(-7)...Int32(-1) {
            let error = OpusError(rawValue: raw, operation: "probe")
            #expect(error.code != .unknown)
            #expect(error.code.rawValue == raw)
            #expect(!error.description.isEmpty)
        }
        #expect(OpusError(rawValue: -99, operation: "probe").code == .unknown)
    }
}
