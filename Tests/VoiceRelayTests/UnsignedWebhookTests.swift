import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Without `TWILIO_AUTH_TOKEN` anyone who can post `/twiml` makes the relay open model sessions,
/// which cost money with a real provider: `serve` says so at start, and on Fly (where the relay
/// is public) refuses to start unless told `--allow-unsigned-webhooks`.
@Suite struct UnsignedWebhookTests {
    @Test func onFlyTheRelayRefusesToStartUnsignedUnlessAllowed() async throws {
        let scratch = try ScratchDirectory()
        let port = try freePort()
        let arguments = ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--data-dir", scratch.path("data"), "--provider", "local",
                         "--log-format", "text"]
        let fly = ["FLY_APP_NAME": "voice-relay-test", "TWILIO_AUTH_TOKEN": ""]
        let refused = try BackgroundProcess(CommandRunner.voiceRelay, arguments, environment: fly, scratch: scratch, name: "refused")
        let status = await refused.waitForExit(timeout: .seconds(20))
        #expect(status != nil && status != 0)
        #expect(refused.errors.contains("TWILIO_AUTH_TOKEN is not set") && refused.errors.contains("--allow-unsigned-webhooks"), "\(refused.errors)")

        let allowed = try BackgroundProcess(CommandRunner.voiceRelay, arguments + ["--allow-unsigned-webhooks"], environment: fly,
                                            scratch: scratch, name: "allowed")
        defer { allowed.signal(SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(30)
        while !(try CommandRunner.run("curl", ["-sf", "http://127.0.0.1:\(port)/healthz"]).standardOutput.contains("ok")) {
            guard ContinuousClock.now < deadline else { Issue.record("the relay did not start: \(allowed.errors)"); return }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(allowed.errors.contains("warning") && allowed.errors.contains("not signature-checked"), "\(allowed.errors)")
    }
}
