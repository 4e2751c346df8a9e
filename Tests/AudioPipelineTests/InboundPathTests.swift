@testable import AudioPipeline
import Codecs
import Foundation
import Testing

@Suite struct InboundPathTests {
    @Test func muLawCallerToPCM16ModelAtTwentyFourKilohertz() {
        var path = InboundPath(decoder: MuLawDecoder(), jitterMode: .forwardImmediately, modelFormat: .pcm16(sampleRate: 24000))
        // 0.5 s of silence, then 1 s of a 440 Hz tone (speech-like enough for the VAD), then silence.
        let audio = [Float](repeating: 0, count: 4000) + TestAudio.sine(440, rate: 8000, count: 8000) + [Float](repeating: 0, count: 4000)
        var modelBytes: [UInt8] = []
        var sizes = Set<Int>()
        var events: [VoiceActivityDetector.Event] = []
        for (index, frame) in TestAudio.muLawFrames(audio).enumerated() {
            path.receive(frame, sequence: frame.sequence, arrivalNs: UInt64(index) * 20_000_000)
            path.process(now: UInt64(index) * 20_000_000, model: { modelBytes += $0; sizes.insert($0.count) }, speech: { events.append($0) })
        }
        #expect(sizes == [960])
        #expect(modelBytes.count == 100 * 960)
        #expect(path.counters.framesToModel == 100)
        // The tone comes out at 24 kHz: its zero crossings are 440 per second.
        let samples = stride(from: 0, to: modelBytes.count, by: 2).map { Int16(bitPattern: UInt16(modelBytes[$0]) | UInt16(modelBytes[$0 + 1]) << 8) }
        let toneSection = samples[(24000 * 6 / 10)..<(24000 * 14 / 10)]
        let crossings = zip(toneSection, toneSection.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        #expect(abs(crossings - 2 * 352) <= 4)
        #expect(events.count == 2)
        if case .speechStarted(let onset) = events.first {
            #expect(abs(onset * 10 - 500) <= 30, "onset at \(onset * 10) ms")
        } else {
            Issue.record("expected speech to start: \(events)")
        }
    }

    @Test func muLawModelFormatGetsTheCallersBytesAsReceived() {
        var path = InboundPath(decoder: MuLawDecoder(), jitterMode: .forwardImmediately, modelFormat: .muLaw)
        var frames = TestAudio.muLawFrames(TestAudio.sine(300, rate: 8000, count: 1600))
        // Negative zero, which a decode and re-encode would turn into 0xFF.
        for index in stride(from: 0, to: 160, by: 7) { frames[3].payload[index] = 0x7F }
        var sent: [UInt8] = []
        for frame in frames {
            path.receive(frame, sequence: frame.sequence, arrivalNs: 0)
            path.process(now: 0, model: { sent += $0 }, speech: { _ in })
        }
        #expect(sent == frames.flatMap { frame in (0..<160).map { frame.payload[$0] } })
    }

    /// The drive where frames arrive (`receiveAndProcess`) sends the model and the VAD what the
    /// two-step drive does, on a stream with a gap, a repeat, a straggler and a jump.
    @Test(arguments: [ModelAudioFormat.muLaw, .pcm16(sampleRate: 24000)])
    func processingOnArrivalMatchesReceiveThenProcess(format: ModelAudioFormat) {
        let audio = [Float](repeating: 0, count: 2400) + TestAudio.sine(440, rate: 8000, count: 6400) + [Float](repeating: 0, count: 4000)
        let frames = TestAudio.muLawFrames(audio)
        var order = Array(frames.indices)
        order.remove(at: 20)           // lost
        order.insert(12, at: 12)       // repeated
        order.insert(30, at: 40)       // a straggler after its slot was concealed
        order.removeSubrange(60..<66)  // a burst lost
        var onArrival = InboundPath(decoder: MuLawDecoder(), jitterMode: .forwardImmediately, modelFormat: format)
        var twoStep = InboundPath(decoder: MuLawDecoder(), jitterMode: .forwardImmediately, modelFormat: format)
        var sentOnArrival: [UInt8] = [], sentTwoStep: [UInt8] = []
        var eventsOnArrival: [VoiceActivityDetector.Event] = [], eventsTwoStep: [VoiceActivityDetector.Event] = []
        for (step, index) in order.enumerated() {
            let now = UInt64(step) * 20_000_000
            onArrival.receiveAndProcess(frames[index], sequence: frames[index].sequence, arrivalNs: now,
                                        model: { sentOnArrival += $0 }, speech: { eventsOnArrival.append($0) })
            twoStep.receive(frames[index], sequence: frames[index].sequence, arrivalNs: now)
            twoStep.process(now: now, model: { sentTwoStep += $0 }, speech: { eventsTwoStep.append($0) })
        }
        #expect(sentOnArrival == sentTwoStep)
        #expect(eventsOnArrival == eventsTwoStep)
        #expect(eventsOnArrival.count == 2)
        #expect(onArrival.counters == twoStep.counters)
        #expect(onArrival.counters.concealed == 7 && onArrival.counters.late == 2)
    }

    @Test func aMuLawGapIsFilledWithEncodedConcealment() {
        var path = InboundPath(decoder: MuLawDecoder(), jitterMode: .forwardImmediately, modelFormat: .muLaw)
        var frames = TestAudio.muLawFrames(TestAudio.sine(300, rate: 8000, count: 1600))
        let afterGap = frames[5]
        frames.remove(at: 4)
        var sent: [[UInt8]] = []
        for frame in frames {
            path.receive(frame, sequence: frame.sequence, arrivalNs: 0)
            path.process(now: 0, model: { sent.append([UInt8]($0)) }, speech: { _ in })
        }
        #expect(sent.count == 10 && sent.allSatisfy { $0.count == 160 })
        #expect(path.counters.concealed == 1)
        // The fade ends in silence (0xFF), and the frame after the gap arrives untouched.
        #expect(sent[4].suffix(80).allSatisfy { $0 == 0xFF })
        #expect(sent[5] == (0..<160).map { afterGap.payload[$0] })
    }

    @Test func aGapInTwilioChunksIsFilledSoTheModelTimelineStaysAligned() {
        var path = InboundPath(decoder: MuLawDecoder(), jitterMode: .forwardImmediately, modelFormat: .pcm16(sampleRate: 24000))
        var frames = TestAudio.muLawFrames(TestAudio.sine(300, rate: 8000, count: 1600))
        frames.remove(at: 4)
        frames.remove(at: 4)
        var count = 0
        for frame in frames {
            path.receive(frame, sequence: frame.sequence, arrivalNs: 0)
            path.process(now: 0, model: { _ in count += 1 }, speech: { _ in })
        }
        #expect(count == 10)
        #expect(path.counters.concealed == 2)
    }

    @Test func opusCallerWithALostPacketIsRecoveredAndStillTwentyFourKilohertz() throws {
        var packets = try Self.opusPackets(of: TestAudio.sine(500, rate: 48000, count: 48000), rate: 48000, firstSequence: 0)
        packets.remove(at: 20)
        var path = InboundPath(decoder: try OpusInboundDecoder(), jitterMode: .forwardImmediately, modelFormat: .pcm16(sampleRate: 24000))
        var total = 0
        for packet in packets {
            path.receive(packet, sequence: packet.sequence, arrivalNs: 0)
            path.process(now: 0, model: { total += $0.count }, speech: { _ in })
        }
        #expect(total == 50 * 960)
        #expect(path.counters.concealed == 1)
    }

    /// Telnyx's Opus (16 kHz) as a carrier forwards it: two pairs of packets swapped in flight and
    /// one lost. The reordering buffer plays the swapped ones in order (none late, none concealed),
    /// rebuilds the lost one from the next packet's FEC, and the model's 24 kHz audio has no gap.
    @Test func reorderedAndLostOpusPacketsArePutBackInOrderWithoutAGap() throws {
        let packets = try Self.opusPackets(of: TestAudio.sine(500, rate: 16000, count: 16000), rate: 16000, firstSequence: 1)
        // Arrival order: 11 before 10, 31 before 30, 21 never; one packet every 20 ms.
        var arrivals = packets
        arrivals.swapAt(9, 10)
        arrivals.swapAt(29, 30)
        arrivals.remove(at: 20)
        var path = InboundPath(decoder: try OpusInboundDecoder(sampleRate: 16000),
                               jitterMode: .reorder(depth: 3),
                               modelFormat: .pcm16(sampleRate: 24000))
        var model: [Int16] = []
        let collect = { (bytes: UnsafeRawBufferPointer) in model += bytes.bindMemory(to: Int16.self) }
        for (index, packet) in arrivals.enumerated() {
            let now = UInt64(index) * 20_000_000
            path.receive(packet, sequence: packet.sequence, arrivalNs: now)
            path.process(now: now, model: collect, speech: { _ in })
        }
        path.process(now: 10_000_000_000, model: collect, speech: { _ in })
        #expect(model.count == 50 * 480, "\(model.count) samples for 50 frames")
        #expect(path.counters.concealed == 1 && path.counters.late == 0, "\(path.counters)")
        // Every 20 ms after the codec's start carries the tone: nothing was dropped or left silent.
        func level(_ frame: ArraySlice<Int16>) -> Double {
            let energy: Double = frame.reduce(0.0) { sum, sample in sum + Double(sample) * Double(sample) }
            return (energy / Double(frame.count)).squareRoot() / 32768
        }
        let frameLevels: [Double] = stride(from: 480 * 2, to: model.count, by: 480).map { level(model[$0..<$0 + 480]) }
        #expect(frameLevels.allSatisfy { $0 > 0.1 }, "quietest frame \(frameLevels.min() ?? 0) (a 0.3 sine is 0.21)")
    }

    /// `signal` as 20 ms Opus packets with in-band FEC, numbered from `firstSequence`.
    static func opusPackets(of signal: [Float], rate: Int, firstSequence: UInt32) throws -> [OpusPacketFrame] {
        let configuration = OpusEncoder.Configuration(sampleRate: rate, bitrate: 32000, inbandFEC: true, expectedPacketLossPercent: 10)
        var encoder = try OpusEncoder(configuration: configuration)
        let samples = rate / 50
        var packets: [OpusPacketFrame] = []
        var buffer = [UInt8](repeating: 0, count: 1500)
        for (index, start) in stride(from: 0, to: signal.count, by: samples).enumerated() {
            let length = try signal[start..<start + samples].withUnsafeBufferPointer { pcm in
                try buffer.withUnsafeMutableBytes { try encoder.encode(pcm, into: $0) }
            }
            let packet = buffer.withUnsafeBytes {
                OpusPacketFrame(sequence: firstSequence + UInt32(index), bytes: UnsafeRawBufferPointer(rebasing: $0[0..<length]))
            }
            packets.append(try #require(packet))
        }
        return packets
    }
}
