import Codecs
import Foundation

/// Reads any file `convert` understands as mono floats, at its own rate when that is one
/// of `preferredRates`, else resampled to `fallbackRate`.
enum AudioInput {
    struct Audio {
        var samples: [Float]
        var sampleRate: Int
    }

    static func read(_ path: String, inputRate: Int?, preferredRates: Set<Int>, fallbackRate: Int) throws -> Audio {
        let pathExtension = URL(fileURLWithPath: path).pathExtension
        guard let format = AudioFileFormat(pathExtension: pathExtension) else {
            throw CommandFailure("unsupported file type '.\(pathExtension)' for \(path)")
        }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CommandFailure("cannot read \(path): \((error as NSError).localizedDescription)")
        }
        do {
            var wav = try AudioFileConversion(from: format, to: .wav, inputRate: inputRate).convert(bytes)
            if !preferredRates.contains(wav.outputRate) {
                wav = try AudioFileConversion(from: format, to: .wav, inputRate: inputRate, outputRate: fallbackRate).convert(bytes)
            }
            let audio = try WAVFile.read(wav.bytes)
            var samples = [Float](repeating: 0, count: audio.samples.count)
            audio.samples.withUnsafeBufferPointer { input in samples.withUnsafeMutableBufferPointer { PCM.convert(input, into: $0) } }
            return Audio(samples: samples, sampleRate: audio.sampleRate)
        } catch {
            throw CommandFailure("\(path): \(error)")
        }
    }
}
