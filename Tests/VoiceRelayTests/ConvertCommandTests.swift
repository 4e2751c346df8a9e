import Codecs
import Foundation
import Testing

@Suite struct ConvertCommandTests {
    /// A voice-like test signal: harmonics of a gliding pitch with a syllable envelope.
    static func voice(rate: Int, seconds: Double = 1) -> [Int16] {
        var phase = 0.0
        return (0..<Int(Double(rate) * seconds)).map { index in
            let t = Double(index) / Double(rate)
            phase += 2 * .pi * (150 + 30 * sin(2 * .pi * 2 * t)) / Double(rate)
            let envelope = 0.6 + 0.4 * sin(2 * .pi * 3 * t)
            let value = (1...6).reduce(0.0) { $0 + sin(Double($1) * phase) / Double($1) }
            return Int16(9000 * envelope * value)
        }
    }

    static func writeWAV(_ samples: [Int16], rate: Int, to path: String) throws {
        try Data(WAVFile.write(.init(samples: samples, sampleRate: rate))).write(to: URL(fileURLWithPath: path))
    }

    static func readWAV(_ path: String) throws -> WAVFile.Audio {
        try WAVFile.read([UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// SNR in dB of `test` against `reference`, at the best lag within +-`search` samples.
    static func snrDB(_ reference: [Int16], _ test: [Int16], search: Int = 4) -> Double {
        (-search...search).map { lag -> Double in
            var signal = 0.0, noise = 0.0
            for index in 2000..<(min(reference.count, test.count) - 2000) {
                let a = Double(reference[index]), b = Double(test[index + lag])
                signal += a * a
                noise += (a - b) * (a - b)
            }
            return 10 * log10(signal / noise)
        }.max()!
    }

    @Test func writesOpusThatOpusdecPlays() throws {
        let scratch = try ScratchDirectory()
        let input = Self.voice(rate: 16000)
        try Self.writeWAV(input, rate: 16000, to: scratch.path("in.wav"))
        let convert = try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("in.wav"), scratch.path("out.opus")])
        #expect(convert.status == 0, "\(convert.standardError)")
        let decode = try CommandRunner.run("opusdec", ["--quiet", scratch.path("out.opus"), scratch.path("dec.wav")])
        #expect(decode.status == 0, "\(decode.standardError)")
        let decoded = try Self.readWAV(scratch.path("dec.wav"))
        // opusdec returns the original rate and exactly the original length (pre-skip and end trim honoured).
        #expect(decoded.sampleRate == 16000)
        #expect(decoded.samples.count == input.count)
        #expect(Self.snrDB(input, decoded.samples) > 4)
    }

    @Test func decodesOpusencFilesWithinOneDecibelOfOpusdec() throws {
        let scratch = try ScratchDirectory()
        for rate in [8000, 48000] {
            let input = Self.voice(rate: rate)
            try Self.writeWAV(input, rate: rate, to: scratch.path("in.wav"))
            let encode = try CommandRunner.run("opusenc", ["--quiet", "--bitrate", "24", scratch.path("in.wav"), scratch.path("ref.opus")])
            #expect(encode.status == 0, "\(encode.standardError)")
            let theirs = try CommandRunner.run("opusdec", ["--quiet", scratch.path("ref.opus"), scratch.path("theirs.wav")])
            #expect(theirs.status == 0)
            let ours = try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("ref.opus"), scratch.path("ours.wav")])
            #expect(ours.status == 0, "\(ours.standardError)")
            let theirAudio = try Self.readWAV(scratch.path("theirs.wav"))
            let ourAudio = try Self.readWAV(scratch.path("ours.wav"))
            #expect(ourAudio.sampleRate == theirAudio.sampleRate)
            #expect(abs(ourAudio.samples.count - theirAudio.samples.count) <= rate / 1000)
            let ourSNR = Self.snrDB(input, ourAudio.samples)
            let theirSNR = Self.snrDB(input, theirAudio.samples)
            #expect(abs(ourSNR - theirSNR) <= 1, "at \(rate) Hz ours \(ourSNR) dB, opusdec \(theirSNR) dB")
        }
    }

    @Test func resamplesWAVWhenAskedAndKeepsTheRateOtherwise() throws {
        let scratch = try ScratchDirectory()
        let input = Self.voice(rate: 8000)
        try Self.writeWAV(input, rate: 8000, to: scratch.path("in.wav"))
        #expect(try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("in.wav"), scratch.path("up.wav"), "--rate", "24000"]).status == 0)
        #expect(try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("up.wav"), scratch.path("same.wav")]).status == 0)
        #expect(try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("same.wav"), scratch.path("down.wav"), "--rate", "8000"]).status == 0)
        let up = try Self.readWAV(scratch.path("up.wav"))
        let same = try Self.readWAV(scratch.path("same.wav"))
        let down = try Self.readWAV(scratch.path("down.wav"))
        #expect(up.sampleRate == 24000 && up.samples.count == 24000)
        #expect(same == up)
        #expect(down.sampleRate == 8000 && down.samples.count == 8000)
        #expect(Self.snrDB(input, down.samples, search: 0) > 60)
    }

    @Test func g711AndRawRoundTrip() throws {
        let scratch = try ScratchDirectory()
        let input = Self.voice(rate: 8000)
        try Self.writeWAV(input, rate: 8000, to: scratch.path("in.wav"))
        for name in ["a.ulaw", "a.pcmu", "a.alaw", "a.pcma"] {
            #expect(try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("in.wav"), scratch.path(name)]).status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path(name))).count == input.count)
            #expect(try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path(name), scratch.path("back.wav")]).status == 0)
            let back = try Self.readWAV(scratch.path("back.wav"))
            #expect(back.sampleRate == 8000)
            // G.711 keeps about 38 dB SNR on speech-level signals.
            #expect(Self.snrDB(input, back.samples, search: 0) > 30, "\(name)")
        }
        #expect(try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("in.wav"), scratch.path("a.raw")]).status == 0)
        #expect(try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("a.raw"), scratch.path("raw.wav"), "--in-rate", "8000"]).status == 0)
        #expect(try Self.readWAV(scratch.path("raw.wav")).samples == input)
    }

    @Test(arguments: [
        (["in.wav", "out.ulaw", "--rate", "16000"], "cannot hold 16000 Hz"),
        (["in.wav", "out.opus", "--rate", "44100"], "cannot hold 44100 Hz"),
        (["in.raw", "out.wav"], "needs its sample rate"),
        (["in.wav", "out.mp3"], "unsupported file type"),
        (["garbage.wav", "out.wav"], "not a WAV file"),
        (["corrupt.opus", "out.wav"], "checksum mismatch"),
        (["truncated.opus", "out.wav"], "truncated Ogg page"),
        (["missing.wav", "out.wav"], "cannot read"),
        (["in.wav", "out.wav", "--in-rate", "8000"], "applies to .raw input only"),
    ])
    func badRequestsGiveOneLineErrorsAndNoOutput(arguments: [String], message: String) throws {
        let scratch = try ScratchDirectory()
        try Self.writeWAV(Self.voice(rate: 8000), rate: 8000, to: scratch.path("in.wav"))
        try Data([1, 2, 3, 4]).write(to: URL(fileURLWithPath: scratch.path("in.raw")))
        try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: scratch.path("garbage.wav")))
        #expect(try CommandRunner.run(CommandRunner.voiceRelay, ["convert", scratch.path("in.wav"), scratch.path("good.opus")]).status == 0)
        var opus = try Data(contentsOf: URL(fileURLWithPath: scratch.path("good.opus")))
        try opus.prefix(opus.count / 2).write(to: URL(fileURLWithPath: scratch.path("truncated.opus")))
        opus[opus.count / 2] ^= 0xFF
        try opus.write(to: URL(fileURLWithPath: scratch.path("corrupt.opus")))

        let paths = arguments.map { $0.hasPrefix("--") || Int($0) != nil ? $0 : scratch.path($0) }
        let result = try CommandRunner.run(CommandRunner.voiceRelay, ["convert"] + paths)
        #expect(result.status != 0)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(result.standardError)")
        #expect(result.standardError.contains(message), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: paths[1]))
    }
}
