import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A process started for a test, with its output in files; killed when the test is done.
final class BackgroundProcess {
    let process = Process()
    let outputPath: String
    let errorPath: String

    convenience init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], scratch: ScratchDirectory, name: String) throws {
        try self.init(executable, arguments, environment: environment, directory: scratch.url.path, name: name)
    }

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String, name: String) throws {
        outputPath = (directory as NSString).appendingPathComponent("\(name).out")
        errorPath = (directory as NSString).appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : try CommandRunner.locate(executable))
        process.arguments = arguments
        // An empty value removes the variable.
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.filter { !$0.value.isEmpty }
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { if process.isRunning { kill(process.processIdentifier, number) } }

    /// Waits for the process to exit; returns its status, or nil if it is still running at `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Three (or more) relays on loopback, each playing a Fly region, behind `fly_edge.py`, which
/// routes each caller to the nearest region and honours `fly-replay` as Fly's proxy does.
final class RegionCluster {
    struct Region {
        var name: String
        /// The region's model: nil for the embedded agent, else a `simulate-model` of its own.
        var simulatedModel: Bool
        var failover: [String]
    }

    let scratch: ScratchDirectory
    private(set) var relays: [String: BackgroundProcess] = [:]
    private(set) var models: [String: BackgroundProcess] = [:]
    private(set) var relayPorts: [String: Int] = [:]
    private(set) var edgePorts: [String: Int] = [:]
    private var edge: BackgroundProcess?

    /// `edges`: for each edge region, the regions nearest first; `tenants`: pins for the plan.
    init(regions: [Region], edges: [String: [String]], tenants: [String: [String]] = [:], drainSeconds: Int = 20) async throws {
        scratch = try ScratchDirectory()
        var modelPorts: [String: Int] = [:]
        for region in regions {
            relayPorts[region.name] = try freePort()
            if region.simulatedModel {
                let port = try freePort()
                modelPorts[region.name] = port
                models[region.name] = try BackgroundProcess(CommandRunner.voiceRelay, ["simulate-model", "--port", "\(port)"],
                                                            scratch: scratch, name: "model-\(region.name)")
            }
        }
        var planRegions: [String: Any] = [:]
        for region in regions {
            var entry: [String: Any] = ["failover": region.failover, "health": "http://127.0.0.1:\(relayPorts[region.name]!)/healthz"]
            if let port = modelPorts[region.name] {
                entry["model"] = ["provider": "openai", "url": "ws://127.0.0.1:\(port)/v1/realtime"]
            }
            planRegions[region.name] = entry
        }
        let plan: [String: Any] = ["default": ["model": ["provider": "local"]], "regions": planRegions, "tenants": tenants]
        let planPath = scratch.path("regions.json")
        try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: planPath))
        for region in regions {
            relays[region.name] = try BackgroundProcess(
                CommandRunner.voiceRelay,
                ["serve", "--host", "127.0.0.1", "--port", "\(relayPorts[region.name]!)", "--regions", planPath,
                 "--drain-seconds", "\(drainSeconds)", "--model-probe-seconds", "0.5"],
                environment: ["FLY_REGION": region.name, "PEER_POLL_SECONDS": "0.5", "MODEL_PROVIDER": "", "OPENAI_API_KEY": "", "OPENAI_REALTIME_URL": ""],
                scratch: scratch, name: "relay-\(region.name)")
        }
        let edgeScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/test-support/fly_edge.py").path
        let relaysJSON = String(decoding: try JSONSerialization.data(withJSONObject: relayPorts), as: UTF8.self)
        let edgesJSON = String(decoding: try JSONSerialization.data(withJSONObject: edges), as: UTF8.self)
        let edge = try BackgroundProcess("python3", [edgeScript, "--relays", relaysJSON, "--edges", edgesJSON,
                                                     "--log", scratch.path("routes.jsonl"), "--lifetime", "240"],
                                         scratch: scratch, name: "edge")
        self.edge = edge
        let deadline = ContinuousClock.now + .seconds(30)
        while edgePorts.isEmpty {
            if let line = edge.output.split(separator: "\n").first,
               let ports = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Int] {
                edgePorts = ports
            } else {
                guard ContinuousClock.now < deadline else { throw ClusterError("the edge did not start: \(edge.errors)") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        for region in regions.map(\.name) {
            try await waitForHealth(region, status: 200, timeout: .seconds(30))
        }
        try await waitForPeerViews(timeout: .seconds(30))
    }

    /// Waits until every relay's latest reading of every other region is healthy. A relay that
    /// polled a peer still starting keeps it as down until its next poll, and a call dialed in
    /// that window was refused (503) where the test expected a hand-off.
    private func waitForPeerViews(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let names = Array(relays.keys)
        while true {
            let stale = names.filter { region in
                var latest: [String: String] = [:]
                for line in (relays[region]?.errors ?? "").split(separator: "\n") {
                    guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                          entry["message"] as? String == "peer region health changed",
                          let peer = entry["peer"] as? String, let reading = entry["reading"] as? String else { continue }
                    latest[peer] = reading
                }
                return names.contains { $0 != region && latest[$0] != "healthy" }
            }
            guard !stale.isEmpty else { return }
            guard ContinuousClock.now < deadline else { throw ClusterError("peer views never all healthy: \(stale)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The region's `/healthz` answer: its status and the calls it reports up (0 and 0 when it
    /// does not answer).
    func healthz(_ region: String) async -> (status: Int, calls: Int) {
        guard let port = relayPorts[region], let url = URL(string: "http://127.0.0.1:\(port)/healthz") else { return (0, 0) }
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        guard let (body, response) = try? await URLSession.shared.data(for: request) else { return (0, 0) }
        let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, json?["calls"] as? Int ?? 0)
    }

    /// The region's `/healthz` status (0 when it does not answer).
    func health(_ region: String) async -> Int { await healthz(region).status }

    /// Waits until `count` calls are up in `region`: a fixed pause was outrun on a loaded machine
    /// (a SIGTERM sent before the call was up found nothing to drain).
    func waitForCalls(_ region: String, count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while await healthz(region).calls < count {
            guard ContinuousClock.now < deadline else {
                throw ClusterError("\(region) never had \(count) calls up; log:\n\(relays[region]?.errors ?? "")")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func waitForHealth(_ region: String, status: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while await health(region) != status {
            guard ContinuousClock.now < deadline else {
                throw ClusterError("\(region) /healthz never answered \(status); log:\n\(relays[region]?.errors ?? "")")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A whole call through the edge region `edge`, with `voice-relay dial` playing `carrier`.
    func dial(from edge: String, to number: String = "+15555550199", audio: String, tailSeconds: Int = 2,
              carrier: String = "twilio") async throws -> DialOutcome {
        try await Self.dial(port: edgePorts[edge]!, to: number, audio: audio, tailSeconds: tailSeconds, carrier: carrier)
    }

    /// Runs `voice-relay dial` as a process and waits for it without blocking a thread (several
    /// calls run at once, and the test goes on meanwhile, e.g. to send SIGTERM).
    static func dial(port: Int, to number: String = "+15555550199", audio: String, tailSeconds: Int = 2,
                     carrier: String = "twilio") async throws -> DialOutcome {
        let directory = (audio as NSString).deletingLastPathComponent
        let process = try BackgroundProcess(CommandRunner.voiceRelay, ["dial", "http://127.0.0.1:\(port)", "--play", audio, "--to", number,
                                                                       "--tail-seconds", "\(tailSeconds)", "--carrier", carrier, "--json"],
                                            directory: directory, name: "dial-\(UUID().uuidString)")
        guard let status = await process.waitForExit(timeout: .seconds(90)) else { return DialOutcome(error: "dial did not finish") }
        guard status == 0 else { return DialOutcome(error: process.errors) }
        var outcome = try JSONDecoder().decode(DialOutcome.self, from: Data(process.output.utf8))
        outcome.error = nil
        return outcome
    }

    /// What the edge logged: one entry per request it routed.
    var routes: [[String: Any]] {
        let text = (try? String(contentsOfFile: scratch.path("routes.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The regions whose relay took part of the call `callSid`: accepted its webhook or carried its stream.
    func regionsServing(callSid: String) -> Set<String> {
        Set(relays.filter { _, relay in
            relay.errors.split(separator: "\n").contains { line in
                line.contains(callSid) && (line.contains("call accepted") || line.contains("call started"))
            }
        }.keys)
    }

    func writeVoice(seconds: Double, name: String) throws -> String {
        try Self.writeVoice(seconds: seconds, to: scratch.path(name))
    }

    /// Half a second of quiet, `seconds` of a voice-like signal, half a second of quiet (8 kHz WAV).
    static func writeVoice(seconds: Double, to path: String) throws -> String {
        let quiet = [Int16](repeating: 0, count: 4000)
        try ConvertCommandTests.writeWAV(quiet + ConvertCommandTests.voice(rate: 8000, seconds: seconds) + quiet, rate: 8000, to: path)
        return path
    }
}

/// What `dial --json` reported, or why it failed.
struct DialOutcome: Decodable, Sendable {
    var callSid: String?
    var webhookRegion: String?
    var agentFrames = 0
    var closeReason: String?
    var error: String?
}

struct ClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A port nothing listens on right now (bound, read and released).
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw ClusterError("socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw ClusterError("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
