import ArgumentParser
import Codecs
import Foundation

/// `voice-relay convert INPUT OUTPUT [--rate HZ] [--in-rate HZ]`
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert audio between WAV, raw PCM, G.711 and Ogg Opus, resampling as needed.",
        discussion: """
            Formats follow the extension: .wav (16-bit PCM), .ulaw/.pcmu and .alaw/.pcma (raw G.711, 8 kHz), \
            .raw (headerless s16le), .opus (Ogg Opus).
            """
    )

    @Argument(help: "The file to read.") var input: String
    @Argument(help: "The file to write; it is only created when the conversion succeeds.") var output: String
    @Option(help: "Sample rate of the output in Hz (default: the input's, where the format allows).") var rate: Int?
    @Option(name: .customLong("in-rate"), help: "Sample rate of a .raw input in Hz.") var inRate: Int?
    @Option(help: "Opus bitrate in bits per second.") var bitrate: Int = 32000
    @Flag(help: "Print the rates and the resampler's delay to standard error.") var verbose = false

    func run() throws {
        do {
            let conversion = AudioFileConversion(
                from: try Self.format(of: input), to: try Self.format(of: output),
                inputRate: inRate, outputRate: rate, opus: .init(bitrate: bitrate, complexity: 9))
            let bytes: [UInt8]
            do {
                bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input)))
            } catch {
                throw CommandFailure("cannot read \(input): \((error as NSError).localizedDescription)")
            }
            let converted = try conversion.convert(bytes)
            // Write beside the target and rename, so a reader never sees a half-written file.
            try Data(converted.bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
            if verbose {
                let delay = converted.resamplerDelaySeconds.map { String(format: "delay=%.3fms (removed)", $0 * 1000) } ?? "no resampling"
                FileHandle.standardError.write(Data("\(converted.inputRate) Hz -> \(converted.outputRate) Hz, \(delay)\n".utf8))
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(input): \(error)")
        }
    }

    private static func format(of path: String) throws -> AudioFileFormat {
        let pathExtension = URL(fileURLWithPath: path).pathExtension
        guard let format = AudioFileFormat(pathExtension: pathExtension) else {
            throw CommandFailure("unsupported file type '.\(pathExtension)' for \(path) (use .wav, .ulaw, .pcmu, .alaw, .pcma, .raw or .opus)")
        }
        return format
    }
}
