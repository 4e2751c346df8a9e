import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Server
import Testing
#if canImport(Glibc)
import Glibc
import Simulators
#endif

@Suite struct RegionRouterTests {
    static let plan = RegionPlan(
        regions: ["iad": .init(failover: ["lax", "fra"]), "fra": .init(failover: ["ams", "iad"])],
        tenants: ["+4930": ["fra", "ams"]])
    static let up = RelayHealth.Status(canTakeCalls: true)
    static let modelDown = RelayHealth.Status(canTakeCalls: false, reason: "model openai unavailable", code: "model-down")
    static let draining = RelayHealth.Status(canTakeCalls: false, reason: "draining", code: "draining")

    let iad = RegionRouter(region: "iad", plan: plan)
    let fra = RegionRouter(region: "fra", plan: plan)

    @Test func aHealthyRegionTakesItsCalls() {
        #expect(iad.decide(.init(), status: Self.up, peerHealth: { _ in true }) == .accept)
    }

    @Test func anUnhealthyRegionHandsCallsToTheFirstHealthyFailover() {
        #expect(iad.decide(.init(), status: Self.modelDown, peerHealth: { _ in true }) == .replay(region: "lax", reason: "model-down"))
        #expect(iad.decide(.init(), status: Self.draining, peerHealth: { $0 != "lax" }) == .replay(region: "fra", reason: "draining"))
        // Unknown peers are tried only after known-healthy ones, known-down ones never.
        #expect(iad.decide(.init(), status: Self.modelDown, peerHealth: { $0 == "fra" ? nil : false }) == .replay(region: "fra", reason: "model-down"))
        if case .refuse = iad.decide(.init(), status: Self.modelDown, peerHealth: { _ in false }) {} else { Issue.record("expected a refusal") }
    }

    @Test func aReplayedRequestIsNeverBouncedAgain() {
        #expect(iad.decide(.init(alreadyReplayed: true), status: Self.up, peerHealth: { _ in true }) == .accept)
        guard case .refuse(let reason) = iad.decide(.init(alreadyReplayed: true), status: Self.modelDown, peerHealth: { _ in true }) else {
            Issue.record("a replayed request was bounced")
            return
        }
        #expect(reason.contains("unavailable"))
    }

    @Test func pinnedTenantsAreOnlyTakenOrReplayedInsideTheirRegions() {
        let pinned = RegionRouter.Request(allowedRegions: ["fra", "ams"])
        #expect(iad.decide(pinned, status: Self.up, peerHealth: { _ in true }) == .replay(region: "fra", reason: "tenant-pinned"))
        #expect(iad.decide(pinned, status: Self.up, peerHealth: { $0 != "fra" }) == .replay(region: "ams", reason: "tenant-pinned"))
        #expect(fra.decide(pinned, status: Self.up, peerHealth: { _ in true }) == .accept)
        // fra is down: ams (allowed) takes it, iad (nearer, not allowed) never does.
        #expect(fra.decide(pinned, status: Self.modelDown, peerHealth: { _ in true }) == .replay(region: "ams", reason: "model-down"))
        if case .refuse = fra.decide(pinned, status: Self.modelDown, peerHealth: { $0 == "iad" }) {} else { Issue.record("expected a refusal") }
        if case .refuse = iad.decide(RegionRouter.Request(allowedRegions: ["fra"], alreadyReplayed: true), status: Self.up, peerHealth: { _ in true }) {
        } else { Issue.record("a replayed pinned call was taken outside its regions") }
    }

    @Test func aMediaStreamGoesBackToTheRegionThatAnsweredItsWebhook() {
        #expect(iad.decide(.init(homeRegion: "fra"), status: Self.up, peerHealth: { _ in true }) == .replay(region: "fra", reason: "home-region"))
        // Its home is down: take it here rather than lose it.
        #expect(iad.decide(.init(homeRegion: "fra"), status: Self.up, peerHealth: { _ in false }) == .accept)
        #expect(fra.decide(.init(homeRegion: "fra"), status: Self.up, peerHealth: { _ in true }) == .accept)
    }

    @Test func plansAreReadAndChecked() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try Data(#"{"default":{"model":{"provider":"openai"}},"regions":{"fra":{"model":{"provider":"azure","url":"wss://we.example/voice-live"},"failover":["ams"]}},"tenants":{"AC1":["fra"]}}"#.utf8).write(to: scratch)
        let plan = try RegionPlan.load(path: scratch.path)
        #expect(plan.model(for: "fra") == ModelEndpoint(provider: "azure", url: "wss://we.example/voice-live"))
        #expect(plan.model(for: "iad") == ModelEndpoint(provider: "openai"))
        #expect(plan.allowedRegions(calledNumber: "+1555", accountSid: "AC1") == ["fra"])
        #expect(plan.allowedRegions(calledNumber: "+1555", accountSid: "AC2") == nil)

        #expect(plan.numbers.isEmpty && plan.takes(calledNumber: "+1555", through: "vonage"))

        try Data(#"{"numbers":{"+493012345678":"telnyx","+493012345679":{"carrier":"telnyx","audio":"OPUS"}}}"#.utf8).write(to: scratch)
        let numbered = try RegionPlan.load(path: scratch.path)
        #expect(numbered.takes(calledNumber: "+493012345678", through: "telnyx"))
        #expect(!numbered.takes(calledNumber: "+493012345678", through: "twilio"))
        #expect(numbered.takes(calledNumber: "+14155550100", through: "twilio"))
        #expect(numbered.audio(calledNumber: "+493012345679") == "OPUS" && numbered.audio(calledNumber: "+493012345678") == nil)
        // Written back as read: a bare carrier stays a string.
        let encoded = String(decoding: try JSONEncoder().encode(numbered.numbers["+493012345678"]), as: UTF8.self)
        #expect(encoded == #""telnyx""#)
        for bad in [#"{"numbers":{"+493012345678":"sinch"}}"#, #"{"numbers":{"+1555":{"carrier":"twilio","audio":"OPUS"}}}"#,
                    #"{"numbers":{"+1555":{"carrier":"telnyx","audio":"G729"}}}"#, #"{"numbers":{"+1555":{"audio":"OPUS"}}}"#] {
            try Data(bad.utf8).write(to: scratch)
            #expect(throws: RegionPlanError.self, "\(bad)") { try RegionPlan.load(path: scratch.path) }
        }
        try Data(#"{"regions":{"fra":{"failover":["fra"]}}}"#.utf8).write(to: scratch)
        #expect(throws: RegionPlanError.self) { try RegionPlan.load(path: scratch.path) }
        try Data(#"{"tenants":{"AC1":[]}}"#.utf8).write(to: scratch)
        #expect(throws: RegionPlanError.self) { try RegionPlan.load(path: scratch.path) }
        try Data("{not json".utf8).write(to: scratch)
        #expect(throws: RegionPlanError.self) { try RegionPlan.load(path: scratch.path) }
    }
}

/// Health, replay and refusal over real sockets, with the model behind a real socket too.
@Suite struct RelayHealthTests {
    static let plan = RegionPlan(regions: ["iad": .init(failover: ["fra"])], tenants: ["+4930": ["fra"]])

    static func relay(model: OpenAIRealtimeModel, maximumCalls: Int = 10) -> RelayServer {
        let monitor = ModelHealthMonitor(model: model, fallback: nil, logger: Logger(label: "test"))
        return RelayServer(configuration: .init(host: "127.0.0.1", port: 0, publicHost: "relay.test", region: "iad", maximumCalls: maximumCalls),
                           model: model, plan: plan, modelMonitor: monitor)
    }

    static let form = "CallSid=CA1&AccountSid=AC1&From=%2B1555&To=%2B1666"

    @Test func aModelThatAcceptsTCPButNeverAnswersIsDown() async throws {
        // A listening socket nobody serves: connections complete, then silence.
        let (descriptor, port) = try silentListener()
        defer { close(descriptor) }
        let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(port)/v1/realtime", setupTimeout: .milliseconds(500))
        let relay = Self.relay(model: model)
        await relay.health.model?.probe()
        try await relay.makeApplication().test(.live) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .serviceUnavailable)
            #expect(String(buffer: health.body).contains("unavailable"))

            // New calls are replayed to the failover region, with the reason.
            let webhook = try await client.execute(uri: "/twiml", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                   body: ByteBuffer(string: Self.form))
            #expect(webhook.headers[.init("fly-replay")!] == "region=fra;state=model-down")
            // Unless Fly already replayed it here: then a clean 503, no second bounce.
            let replayed = try await client.execute(uri: "/twiml", method: .post,
                                                    headers: [.contentType: "application/x-www-form-urlencoded", .init("fly-replay-src")!: "instance=1;region=syd"],
                                                    body: ByteBuffer(string: Self.form))
            #expect(replayed.status == .serviceUnavailable)
            #expect(replayed.headers[.init("fly-replay")!] == nil)

            // The media-stream upgrade is replayed before it is upgraded.
            let upgrade = try await RawHTTP.exchange(port: client.port!, RawHTTP.upgrade("/media-stream/iad"))
            #expect(upgrade.status == 503)
            #expect(upgrade.header("fly-replay") == "region=fra;state=model-down")

            // Both replays (webhook and stream) are counted by reason; the refusal is not a replay.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"voice_relay_fly_replays_total{region="iad",provider="openai",reason="model-down"} 2"#))
        }
    }

    /// A failed call connect asks for one probe now, and then probing goes back to its interval
    /// (it once span: the cancelled sleeper rang the bell and every wait after ended at once).
    @Test func aFailedConnectAsksForOneProbeNotAProbeLoop() async throws {
        let (descriptor, port) = try silentListener()
        defer { close(descriptor) }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(port)/v1/realtime", setupTimeout: .milliseconds(100))
        let monitor = ModelHealthMonitor(model: model, fallback: nil, interval: .seconds(1), logger: Logger(label: "test"))
        let running = Task { try await monitor.run() }
        defer { running.cancel() }
        var probes = 0
        func acceptAll() {
            while case let connection = accept(descriptor, nil, nil), connection >= 0 {
                probes += 1
                close(connection)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        monitor.callConnected(false)
        for _ in 0..<30 {
            try await Task.sleep(for: .milliseconds(50))
            acceptAll()
        }
        // At start, after the failed connect, and one interval later: three in 1.8 s, not one per 100 ms.
        #expect(probes >= 2, "the failed connect did not trigger a probe")
        #expect(probes <= 4, "\(probes) probes in 1.8 s with a 1 s interval")
    }

    @Test func healthFollowsTheModelDrainingAndCapacity() async throws {
        let simulated = try await SimulatedModel.start()
        try await simulated.serving {
            // A generous set-up timeout: on a loaded 2-core CI machine a session can take seconds.
            let model = OpenAIRealtimeModel(url: "ws://127.0.0.1:\(simulated.port)/v1/realtime", setupTimeout: .seconds(15))
            let relay = Self.relay(model: model)
            try await relay.makeApplication().test(.live) { client in
                // Not checked yet: not ready.
                #expect(try await client.execute(uri: "/healthz", method: .get).status == .serviceUnavailable)
                await relay.health.model?.probe()
                let healthy = try await client.execute(uri: "/healthz", method: .get)
                #expect(healthy.status == .ok)
                #expect(String(buffer: healthy.body).contains(#""region":"iad""#))
                let webhook = try await client.execute(uri: "/twiml", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                       body: ByteBuffer(string: Self.form))
                #expect(webhook.status == .ok)
                #expect(String(buffer: webhook.body).contains("wss://relay.test/media-stream/iad"))

                // A pinned tenant's webhook is sent to its region even though this one is healthy.
                let pinned = try await client.execute(uri: "/twiml", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                      body: ByteBuffer(string: "CallSid=CA2&To=%2B4930"))
                #expect(pinned.headers[.init("fly-replay")!] == "region=fra;state=tenant-pinned")

                relay.health.beginDraining()
                let draining = try await client.execute(uri: "/healthz", method: .get)
                #expect(draining.status == .serviceUnavailable)
                #expect(String(buffer: draining.body).contains("draining"))
            }
            let full = Self.relay(model: model, maximumCalls: 0)
            await full.health.model?.probe()
            try await full.makeApplication().test(.live) { client in
                let health = try await client.execute(uri: "/healthz", method: .get)
                #expect(health.status == .serviceUnavailable)
                #expect(String(buffer: health.body).contains("at capacity"))
            }
        }
    }
}

/// A TCP socket that listens on 127.0.0.1 and never accepts or answers.
func silentListener() throws -> (Int32, Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    guard descriptor >= 0, ready else { throw POSIXError(.EADDRNOTAVAIL) }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}
