import Codecs
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The README's first call, as a newcomer makes it: `voice-relay serve` with the local agent,
/// then `voice-relay dial --play caller.wav --record agent.wav` with a spoken sentence. The
/// agent's reply is its chime and then the caller's own words: the recording after the chime
/// must have the caller's length and loudness contour, not a fragment of it.
@Suite struct FirstCallTests {
    @Test func theLocalAgentPlaysTheCallersWholeSentenceBack() async throws {
        let scratch = try ScratchDirectory()
        let caller = scratch.path("caller.wav")
        let espeak = try CommandRunner.run("espeak-ng", ["-w", caller, "Hello, I would like to book a table for two people tomorrow evening at eight."])
        try #require(espeak.status == 0, "espeak-ng: \(espeak.standardError)")
        let port = try freePort()
        let relay = try BackgroundProcess(
            CommandRunner.voiceRelay, ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--data-dir", scratch.path("data"), "--provider", "local"],
            scratch: scratch, name: "relay")
        defer {
            relay.signal(SIGTERM)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while !(try CommandRunner.run("curl", ["-sf", "http://127.0.0.1:\(port)/healthz"]).standardOutput.contains("ok")) {
            guard ContinuousClock.now < deadline else { Issue.record("the relay did not start: \(relay.errors)"); return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let agent = scratch.path("agent.wav")
        let dial = try CommandRunner.run(CommandRunner.voiceRelay, ["dial", "http://127.0.0.1:\(port)", "--play", caller, "--record", agent])
        #expect(dial.status == 0, "\(dial.standardOutput)\(dial.standardError)")

        let spoken = try Self.envelope(of: caller)
        let heard = try Self.envelope(of: agent)
        let speech = spoken.indices.filter { spoken[$0] > Self.activity }
        let reply = heard.indices.filter { heard[$0] > Self.activity }
        let (speechStart, speechEnd) = (try #require(speech.first), try #require(speech.last))
        let (replyStart, replyEnd) = (try #require(reply.first), try #require(reply.last))
        // The reply: a 300 ms chime (15 envelope frames), then the echo.
        let echoStart = replyStart + 15
        let speechFrames = speechEnd - speechStart + 1
        let echoFrames = replyEnd - echoStart + 1
        #expect(Double(echoFrames) >= 0.9 * Double(speechFrames) && Double(echoFrames) <= 1.2 * Double(speechFrames),
                "the echo spans \(echoFrames * 20) ms of the caller's \(speechFrames * 20) ms (\(dial.standardOutput))")
        // Its loudness contour is the sentence's: the best alignment within ±200 ms correlates.
        let best = (-10...10).map { lag in
            Self.correlation(Array(spoken[speechStart...speechEnd]), heard, from: echoStart + lag)
        }.max() ?? 0
        #expect(best > 0.8, "envelope correlation \(best)")
    }

    /// Above this 20 ms RMS (full scale 1) a frame has sound in it.
    static let activity: Double = 0.01

    /// RMS of each 20 ms of a WAV file, at whatever rate it has.
    static func envelope(of path: String) throws -> [Double] {
        let audio = try WAVFile.read(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let window = audio.sampleRate / 50
        return stride(from: 0, to: audio.samples.count - window, by: window).map { start in
            let sum = audio.samples[start..<start + window].reduce(0.0) { $0 + Double($1) * Double($1) }
            return (sum / Double(window)).squareRoot() / 32768
        }
    }

    /// Pearson correlation of `reference` with `signal` read from `start` (zeros past its ends).
    static func correlation(_ reference: [Double], _ signal: [Double], from start: Int) -> Double {
        let other = reference.indices.map { start + $0 >= 0 && start + $0 < signal.count ? signal[start + $0] : 0 }
        let (meanA, meanB) = (reference.reduce(0, +) / Double(reference.count), other.reduce(0, +) / Double(other.count))
        var (covariance, varianceA, varianceB) = (0.0, 0.0, 0.0)
        for (a, b) in zip(reference, other) {
            covariance += (a - meanA) * (b - meanB)
            varianceA += (a - meanA) * (a - meanA)
            varianceB += (b - meanB) * (b - meanB)
        }
        return varianceA > 0 && varianceB > 0 ? covariance / (varianceA * varianceB).squareRoot() : 0
    }
}
