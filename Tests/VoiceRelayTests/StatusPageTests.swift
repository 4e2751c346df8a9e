import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The live status page in a real browser: headless Chromium driven over the DevTools protocol
/// (`scripts/test-support/status_page_check.py`) against a relay process that just carried a call.
@Suite struct StatusPageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func thePageLoadsWithoutErrorsAndShowsACallPlacedDuringTheTest() async throws {
        let scratch = try ScratchDirectory()
        let port = try freePort()
        let relay = try BackgroundProcess(
            CommandRunner.voiceRelay, ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--data-dir", scratch.path("data"), "--provider", "local"],
            environment: ["FLY_REGION": "fra", "ADMIN_TOKEN": "page-s3cret"], scratch: scratch, name: "relay")
        let deadline = ContinuousClock.now + .seconds(30)
        while !(try CommandRunner.run("curl", ["-sf", "http://127.0.0.1:\(port)/healthz"]).standardOutput.contains("ok")) {
            guard ContinuousClock.now < deadline else { Issue.record("the relay did not start: \(relay.errors)"); return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let audio = try RegionCluster.writeVoice(seconds: 1.2, to: scratch.path("caller.wav"))
        let call = try await RegionCluster.dial(port: port, audio: audio, tailSeconds: 2)
        let callSid = try #require(call.callSid, "the call failed: \(call.error ?? "")")

        let output = Self.repository.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let screenshot = output.appendingPathComponent("status-page.png").path
        let check = try CommandRunner.run("python3", [
            Self.repository.appendingPathComponent("scripts/test-support/status_page_check.py").path,
            "http://127.0.0.1:\(port)/", "--expect", callSid, "--expect", "taking calls", "--expect", "fra",
            "--reject", callSid, "--token", "page-s3cret", "--screenshot", screenshot, "--seconds", "3"])
        #expect(check.status == 0, "\(check.standardOutput)\(check.standardError)")
        // A wrong token shows no call either.
        let wrong = try CommandRunner.run("python3", [
            Self.repository.appendingPathComponent("scripts/test-support/status_page_check.py").path,
            "http://127.0.0.1:\(port)/", "--expect", "not accepted", "--reject", callSid, "--token", "guess",
            "--screenshot", output.appendingPathComponent("status-page-wrong-token.png").path, "--seconds", "2"])
        #expect(wrong.status == 0, "\(wrong.standardOutput)\(wrong.standardError)")
        #expect(!wrong.standardOutput.contains(callSid))
        // Nor does the events stream itself, without the token.
        let anonymous = try CommandRunner.run("curl", ["-sN", "--max-time", "2", "http://127.0.0.1:\(port)/status/events"])
        #expect(anonymous.standardOutput.contains(#""callsVisible":false"#) && !anonymous.standardOutput.contains(callSid))
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "screenshot at \(screenshot)")
        print("status page screenshot: \(screenshot)")
        relay.signal(SIGTERM)
        _ = await relay.waitForExit(timeout: .seconds(10))
    }
}

