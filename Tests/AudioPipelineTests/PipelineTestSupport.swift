import AudioPipeline
import Codecs
import Foundation
import Synchronization

/// Collects what a pipeline sends to the model.
final class RecordingModelSink: ModelAudioSink {
    private let storage = Mutex<(frames: Int, bytes: [UInt8])>((0, []))
    func sendToModel(_ audio: UnsafeRawBufferPointer) {
        storage.withLock {
            $0.frames += 1
            $0.bytes.append(contentsOf: audio)
        }
    }
    var frames: Int { storage.withLock { $0.frames } }
    var bytes: [UInt8] { storage.withLock { $0.bytes } }
}

/// Collects what a pipeline sends to the caller, with the time of each frame.
final class RecordingCallerSink: CallerAudioSink {
    private let storage = Mutex<[(frame: OutboundFrame, audio: [UInt8], mark: Bool, atNs: UInt64)]>([])
    func sendToCaller(_ frame: OutboundFrame, audio: UnsafeRawBufferPointer, mark: Bool) {
        let now = MonotonicClock.nowNs()
        storage.withLock { $0.append((frame, Array(audio), mark, now)) }
    }
    var sent: [(frame: OutboundFrame, audio: [UInt8], mark: Bool, atNs: UInt64)] { storage.withLock { $0 } }
}

enum TestAudio {
    static func sine(_ frequency: Double, rate: Int, count: Int, amplitude: Double = 0.3, phase: Int = 0) -> [Float] {
        (0..<count).map { Float(amplitude * sin(2 * .pi * frequency * Double($0 + phase) / Double(rate))) }
    }

    /// 20 ms mu-law frames of `samples` (8 kHz).
    static func muLawFrames(_ samples: [Float], firstSequence: UInt32 = 1) -> [G711Frame] {
        var codes = [UInt8](repeating: 0, count: samples.count)
        samples.withUnsafeBufferPointer { input in codes.withUnsafeMutableBufferPointer { MuLaw.encode(input, into: $0) } }
        return stride(from: 0, to: codes.count - 159, by: 160).enumerated().map { index, start in
            var payload = InlineArray<160, UInt8>(repeating: 0xFF)
            for offset in 0..<160 { payload[offset] = codes[start + offset] }
            return G711Frame(sequence: firstSequence + UInt32(index), payload: payload)
        }
    }

    static func pcm16Bytes(_ samples: [Float]) -> [UInt8] {
        samples.flatMap { sample -> [UInt8] in
            let value = Int16(max(-32768, min(32767, (sample * 32768).rounded())))
            return [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
        }
    }

    static func residentBytes() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
        let pages = Int(statm.split(separator: " ")[1]) ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
