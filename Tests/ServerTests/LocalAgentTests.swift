import AudioPipeline
import Foundation
@testable import Server
import Synchronization
import Testing

/// The embedded agent answers a key press audibly: its chime, then the key's keypad tone
/// (ITU-T Q.23: a row and a column frequency), as one response.
@Suite struct LocalAgentTests {
    final class Recorder: RealtimeModelDelegate {
        let audio = Mutex<[UInt8]>([])
        let events = Mutex<[ModelEvent]>([])
        func modelAudio(item: String, _ bytes: UnsafeRawBufferPointer) { audio.withLock { $0 += bytes } }
        func modelEvent(_ event: ModelEvent) { events.withLock { $0.append(event) } }
    }

    /// Power at `frequency` in 8 kHz samples (Goertzel), relative to the samples' total power.
    static func share(of frequency: Double, in samples: [Double]) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / 8000)
        var (previous, beforePrevious) = (0.0, 0.0)
        for sample in samples {
            (previous, beforePrevious) = (sample + coefficient * previous - beforePrevious, previous)
        }
        let power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
        let total = samples.reduce(0) { $0 + $1 * $1 } * Double(samples.count) / 2
        return power / total
    }

    @Test(arguments: [("5", 770.0, 1336.0), ("#", 941.0, 1477.0), ("1", 697.0, 1209.0)])
    func aKeyIsAnsweredWithTheChimeAndItsKeypadTone(key: String, low: Double, high: Double) async throws {
        let recorder = Recorder()
        let session = try await LocalAgent(audioFormat: .muLaw).connect(delegate: recorder)
        session.sendDigit(key)
        for _ in 0..<200 where !recorder.events.withLock({ $0.contains(.responseEnded) }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        session.close()
        let events = recorder.events.withLock { $0 }
        #expect(events.first == .responseStarted)
        #expect(events.contains(.audioDone(item: "local_item_1")) && events.contains(.responseEnded))
        let codes = recorder.audio.withLock { $0 }
        #expect(codes.count == 2400 + 2400, "chime 300 ms + tone 300 ms at 8 kHz, got \(codes.count)")
        let tone = codes.suffix(2400).map { Double(MuLawTable.linear[Int($0)]) }
        // Most of the tone's power sits at the key's two frequencies, none at another key's.
        #expect(Self.share(of: low, in: tone) + Self.share(of: high, in: tone) > 0.8)
        #expect(Self.share(of: 852, in: tone) < 0.05 && Self.share(of: 1633, in: tone) < 0.05)
    }

    @Test func somethingThatIsNotAKeyIsNotAnswered() async throws {
        let recorder = Recorder()
        let session = try await LocalAgent(audioFormat: .muLaw).connect(delegate: recorder)
        session.sendDigit("x")
        try await Task.sleep(for: .milliseconds(100))
        #expect(recorder.audio.withLock { $0.isEmpty })
        session.close()
    }
}
