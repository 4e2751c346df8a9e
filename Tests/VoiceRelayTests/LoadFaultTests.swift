import Foundation
import Simulators
import Testing

/// Faults while many calls run, through `voice-relay load` (real relay process, real sockets on
/// 127.0.0.1, an echoing model stand-in): every call must survive the model dropping all its
/// sessions, and a SIGTERM must let every call finish and then the relay exit by itself.
/// 100 calls for 8 s on the release build (it fits CI on two cores); the load figures
/// themselves come from `scripts/measure/load-curve.sh`.
@Suite(.serialized) struct LoadFaultTests {
    static let calls = 100

    static func load(_ arguments: [String]) async throws -> (LoadReport, String) {
        let scratch = try ScratchDirectory()
        let process = try BackgroundProcess(try CommandRunner.releaseVoiceRelay(),
                                            ["load", "--calls", "\(calls)", "--duration", "8", "--json",
                                             "--relay-log", scratch.path("relay.log")] + arguments,
                                            environment: ["LOG_LEVEL": "info"], scratch: scratch, name: "load")
        guard let status = await process.waitForExit(timeout: .seconds(120)) else {
            Issue.record("load did not finish")
            throw CancellationError()
        }
        #expect(status == 0, "\(process.errors)")
        let report = try JSONDecoder().decode(LoadReport.self, from: Data(process.output.utf8))
        let relayLog = (try? String(contentsOfFile: scratch.path("relay.log"), encoding: .utf8)) ?? ""
        return (report, process.errors + relayLog)
    }

    @Test func everyCallSurvivesTheModelDroppingAllItsSessions() async throws {
        let (report, log) = try await Self.load(["--drop-model-after", "3"])
        #expect(report.callsHeld == Self.calls)
        #expect(report.callsClosedByRelay == 0)
        #expect(report.fault?.contains("model dropped \(Self.calls) sessions") == true, "\(report.fault ?? "no fault")")
        // Reconnected within the back-off (100 ms first), every call hears the model again.
        #expect(report.callsWithAudioAfterFault == Self.calls, "\(String(describing: report.callsWithAudioAfterFault))")
        #expect(log.contains("model reconnected"))
        // Before the drop nothing was lost; during the gap the relay drops caller audio (counted), bounded.
        #expect(report.inbound.lost < Self.calls * 25, "lost \(report.inbound.lost)")
        // The relay's CPU splits into system calls and its own work; both are there at 100 calls.
        #expect(report.relayKernelShare > 0.05 && report.relayKernelShare < 0.95, "kernel share \(report.relayKernelShare)")
    }

    @Test func aSigtermDrainsEveryCallAndTheRelayExits() async throws {
        let (report, log) = try await Self.load(["--terminate-relay-after", "2"])
        #expect(report.callsHeld == Self.calls)
        #expect(report.callsClosedByRelay == 0)
        #expect(report.callsWithAudioAfterFault == Self.calls)
        #expect(report.inbound.lost == 0 && report.outbound.lost == 0, "lost \(report.inbound.lost) / \(report.outbound.lost)")
        #expect(log.contains("relay exited with status 0 after draining"), "\(log.suffix(2000))")
    }
}
