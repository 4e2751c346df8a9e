import ArgumentParser
import Foundation
import Simulators

/// `voice-relay load --calls N --duration S`: a capacity run on this machine. Starts an echoing
/// model stand-in and (unless `--target` names one already running) a relay bridged to it, plays
/// N Twilio callers in real time, and prints what the relay lost, added and used.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Play N concurrent Twilio callers against a relay on 127.0.0.1 and measure it (loss, latency, CPU, memory)."
    )

    @Option(help: "Concurrent calls.") var calls: Int = 100
    @Option(help: "The carrier every call plays: twilio, plivo, telnyx or vonage.") var carrier: String = "twilio"
    @Option(help: "Seconds measured once every call is up.") var duration: Int = 60
    @Option(name: .customLong("model-audio"), help: "pcm16 (24 kHz, through the relay's pipeline) or pcmu (mu-law passed through).")
    var modelAudio: String = "pcm16"
    @Option(help: "A relay already running, e.g. ws://127.0.0.1:8080/media-stream (its model must be this command's stand-in: see --model-port). Without it, the command starts one.")
    var target: String?
    @Option(name: .customLong("relay-pid"), help: "With --target: the relay's process id, for its CPU and memory.")
    var relayPID: Int32?
    @Option(name: .customLong("model-port"), help: "Port of the echoing model stand-in (0: any free port; with --target, the port the relay's OPENAI_REALTIME_URL names).")
    var modelPort: Int = 0
    @Option(name: .customLong("progress-seconds"), help: "Print relay memory and CPU this often during the run.")
    var progressSeconds: Int?
    @Option(name: .customLong("relay-log"), help: "Where a relay this command starts writes its log.")
    var relayLog: String = "out/load-relay.log"
    @Option(name: .customLong("drop-model-after"), help: "Fault: this many seconds into the window, the model closes every session.")
    var dropModelAfter: Int?
    @Option(name: .customLong("terminate-relay-after"), help: "Fault: this many seconds into the window, SIGTERM to the relay this command started (it drains).")
    var terminateRelayAfter: Int?
    @Flag(name: .customLong("no-webhook"), help: "Open streams only, without posting Twilio's webhook first (the relay then connects to the model on each stream's start).")
    var noWebhook = false
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard (1...5000).contains(calls) else { throw ValidationError("--calls must be 1...5000") }
        guard (1...7200).contains(duration) else { throw ValidationError("--duration must be 1...7200 seconds") }
        guard ["pcm16", "pcmu"].contains(modelAudio) else { throw ValidationError("--model-audio is pcm16 or pcmu") }
        if target != nil, relayPID == nil { throw ValidationError("--target needs --relay-pid (the relay's CPU and memory are read from /proc)") }
        if target != nil, terminateRelayAfter != nil { throw ValidationError("--terminate-relay-after only applies to a relay this command starts") }
    }

    func run() async throws {
        guard let carrier = SimulatedCarrier(rawValue: carrier) else {
            throw CommandFailure("--carrier must be one of \(SimulatedCarrier.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let generator = try await LoadGenerator(modelPort: modelPort)
        var relay: Process?
        defer { if let relay { Self.stop(relay) } }
        let options: LoadGenerator.Options
        if let target {
            guard let url = URL(string: target), let host = url.host, let port = url.port else {
                throw CommandFailure("--target must look like ws://127.0.0.1:8080/media-stream")
            }
            options = .init(calls: calls, window: .seconds(duration), relayHost: host, relayPort: port,
                            streamPath: url.path.isEmpty ? nil : url.path, relayPID: relayPID!, modelAudio: modelAudio,
                            progressEvery: progressSeconds.map { .seconds($0) }, dropModelAfter: dropModelAfter.map { .seconds($0) },
                            postsWebhook: !noWebhook, carrier: carrier)
        } else {
            guard let port = LoopbackHTTP.freePort() else { throw CommandFailure("no free port for the relay") }
            let started = try startRelay(port: port, modelURL: generator.modelURL)
            relay = started
            try await Self.waitUntilReady(port: port, relay: started)
            options = .init(calls: calls, window: .seconds(duration), relayPort: port, relayPID: started.processIdentifier,
                            modelAudio: modelAudio, progressEvery: progressSeconds.map { .seconds($0) },
                            dropModelAfter: dropModelAfter.map { .seconds($0) }, terminateRelayAfter: terminateRelayAfter.map { .seconds($0) },
                            postsWebhook: !noWebhook, carrier: carrier)
        }
        let report: LoadReport
        do {
            report = try await generator.run(options) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        } catch {
            await generator.shutdown()
            throw CommandFailure("load run failed: \(error)")
        }
        await generator.shutdown()
        if terminateRelayAfter != nil, let relay {
            // Every call hung up: a draining relay now has nothing left and exits by itself.
            let deadline = ContinuousClock.now + .seconds(10)
            while relay.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            FileHandle.standardError.write(Data((relay.isRunning ? "relay still running 10 s after the last call\n"
                : "relay exited with status \(relay.terminationStatus) after draining\n").utf8))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }

    /// `voice-relay serve` from this same binary, on 127.0.0.1, bridged to the stand-in.
    private func startRelay(port: Int, modelURL: String) throws -> Process {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("voice-relay-load-\(UUID().uuidString)")
        let logURL = URL(fileURLWithPath: relayLog)
        try FileManager.default.createDirectory(at: logURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil) else {
            throw CommandFailure("cannot create the relay log \(logURL.path)")
        }
        let relay = Process()
        relay.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        relay.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port)]
        var environment = ProcessInfo.processInfo.environment
        environment["MODEL_PROVIDER"] = "openai"
        environment["OPENAI_REALTIME_URL"] = modelURL
        environment["MODEL_AUDIO_FORMAT"] = modelAudio
        environment["MAX_CALLS"] = String(calls + 50)
        environment["DATA_DIR"] = dataDirectory.path
        // A drain fault lets calls run to the end of the window; otherwise shutdown is quick.
        environment["DRAIN_SECONDS"] = terminateRelayAfter != nil ? String(duration + 60) : "3"
        environment["LOG_LEVEL"] = environment["LOG_LEVEL"] ?? "warning"
        environment.removeValue(forKey: "DATABASE_URL")
        environment.removeValue(forKey: "REGIONS_FILE")
        relay.environment = environment
        let log = try FileHandle(forWritingTo: logURL)
        relay.standardOutput = log
        relay.standardError = log
        try relay.run()
        return relay
    }

    private static func waitUntilReady(port: Int, relay: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard relay.isRunning else { throw CommandFailure("the relay exited at start (see its log)") }
            if LoopbackHTTP.status(port: port, path: "/healthz") == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CommandFailure("the relay was not healthy within 30 s")
    }

    /// SIGTERM (the relay drains, with nothing left to drain), then SIGKILL if it lingers.
    private static func stop(_ relay: Process) {
        guard relay.isRunning else { return }
        relay.terminate()
        for _ in 0..<100 where relay.isRunning { usleep(50_000) }
        if relay.isRunning { kill(relay.processIdentifier, SIGKILL) }
    }
}
