import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Three relays on loopback (iad, fra, syd) behind a Fly-like edge that sends each caller to the
/// nearest region and follows `fly-replay`. Real processes, real sockets, real calls with `dial`.
@Suite(.serialized) struct MultiRegionTests {
    static let regions = [
        RegionCluster.Region(name: "iad", simulatedModel: true, failover: ["fra", "syd"]),
        RegionCluster.Region(name: "fra", simulatedModel: true, failover: ["iad", "syd"]),
        RegionCluster.Region(name: "syd", simulatedModel: false, failover: ["iad", "fra"]),
    ]
    static let edges = ["iad": ["iad", "fra", "syd"], "fra": ["fra", "iad", "syd"], "syd": ["syd", "iad", "fra"]]

    @Test func aRegionWhoseModelIsDownSendsNewCallsToTheNextRegion() async throws {
        let cluster = try await RegionCluster(regions: Self.regions, edges: Self.edges)
        let audio = try cluster.writeVoice(seconds: 1.2, name: "caller.wav")

        let before = try await cluster.dial(from: "iad", audio: audio)
        #expect(before.error == nil)
        #expect(before.agentFrames > 0)
        #expect(cluster.regionsServing(callSid: try #require(before.callSid)) == ["iad"])

        // iad's model goes away: its probe notices, /healthz turns 503 with the reason.
        cluster.models["iad"]?.signal(SIGKILL)
        try await cluster.waitForHealth("iad", status: 503, timeout: .seconds(15))

        let after = try await cluster.dial(from: "iad", audio: audio)
        #expect(after.error == nil, "\(after.error ?? "")")
        #expect(after.agentFrames > 0, "the call was answered by the agent in the next region")
        #expect(after.webhookRegion == "fra")
        let callSid = try #require(after.callSid)
        #expect(cluster.regionsServing(callSid: callSid) == ["fra"])
        // The edge replayed the webhook (model down) and then the stream (back to the region that took the call).
        let replays = cluster.routes.filter { ($0["path"] as? String)?.hasPrefix("/twiml") == true || ($0["path"] as? String)?.hasPrefix("/media-stream") == true }
            .suffix(2).map { ($0["replays"] as? [[String: Any]])?.first?["state"] as? String }
        #expect(replays == ["model-down", "home-region"])

        // Every carrier's call takes the same way: its webhook replayed for the model, its stream
        // (at its own path, with its ticket or signature) replayed to the region that answered it.
        for carrier in ["plivo", "telnyx", "vonage"] {
            let call = try await cluster.dial(from: "iad", audio: audio, carrier: carrier)
            #expect(call.error == nil, "\(carrier): \(call.error ?? "")")
            #expect(call.agentFrames > 0 && call.webhookRegion == "fra", "\(carrier)")
            #expect(cluster.regionsServing(callSid: try #require(call.callSid)) == ["fra"], "\(carrier)")
            let routed = cluster.routes.filter { ($0["path"] as? String)?.hasPrefix("/\(carrier)/") == true }.suffix(2)
                .map { ($0["replays"] as? [[String: Any]])?.first?["state"] as? String }
            #expect(routed == ["model-down", "home-region"], "\(carrier)")
        }

        // The model comes back on the same port: iad takes calls again.
        // (Not restarted here: a new simulate-model would need the same port, racing the kernel.)
    }

    @Test func aPinnedTenantNeverLeavesItsRegions() async throws {
        let pinned = "+493012345678"
        let cluster = try await RegionCluster(regions: Self.regions, edges: Self.edges, tenants: [pinned: ["fra"]])
        let audio = try cluster.writeVoice(seconds: 1.0, name: "caller.wav")

        // Callers near syd and iad: the pinned tenant's calls run in fra, others where they land.
        for edge in ["syd", "iad"] {
            let call = try await cluster.dial(from: edge, to: pinned, audio: audio)
            #expect(call.error == nil, "\(call.error ?? "")")
            #expect(call.agentFrames > 0)
            #expect(cluster.regionsServing(callSid: try #require(call.callSid)) == ["fra"])
        }
        let unpinned = try await cluster.dial(from: "syd", audio: audio)
        #expect(cluster.regionsServing(callSid: try #require(unpinned.callSid)) == ["syd"])

        // fra's model fails: the pinned tenant is refused rather than served outside fra,
        // while other callers near fra go to the next region.
        cluster.models["fra"]?.signal(SIGKILL)
        try await cluster.waitForHealth("fra", status: 503, timeout: .seconds(15))
        let refused = try await cluster.dial(from: "iad", to: pinned, audio: audio)
        #expect(refused.error?.contains("503") == true, "\(refused.error ?? "no error")")
        let refusedAtFra = try await cluster.dial(from: "fra", to: pinned, audio: audio)
        #expect(refusedAtFra.error?.contains("503") == true, "\(refusedAtFra.error ?? "no error")")
        let rerouted = try await cluster.dial(from: "fra", audio: audio)
        #expect(rerouted.webhookRegion == "iad")

        // No relay outside fra ever accepted or carried a call for the pinned number.
        for (region, relay) in cluster.relays where region != "fra" {
            let lines = relay.errors.split(separator: "\n").filter { $0.contains("call accepted") || $0.contains("call started") }
            #expect(!lines.contains { $0.contains(pinned) || $0.contains("4930") }, "\(region) took a pinned call")
        }
        let pinnedAccepted = cluster.routes.filter { $0["status"] as? Int == 200 && ($0["servedBy"] as? String) != "fra" }
            .compactMap { $0["callSid"] as? String }
        #expect(!pinnedAccepted.contains { cluster.regionsServing(callSid: $0).contains("fra") && cluster.regionsServing(callSid: $0).count > 1 })
    }

    @Test func sigtermDuringLiveCallsDropsNoneOfThem() async throws {
        let cluster = try await RegionCluster(regions: Self.regions, edges: Self.edges, drainSeconds: 20)
        let audio = try cluster.writeVoice(seconds: 2.0, name: "caller.wav")
        let port = try #require(cluster.edgePorts["iad"])
        let live = (0..<4).map { _ in Task { try await RegionCluster.dial(port: port, audio: audio, tailSeconds: 3) } }
        // Every call is up on iad, then iad is told to stop (as `fly deploy` does).
        try await cluster.waitForCalls("iad", count: 4, timeout: .seconds(20))
        cluster.relays["iad"]?.signal(SIGTERM)
        try await cluster.waitForHealth("iad", status: 503, timeout: .seconds(5))
        // New calls near iad are handed on while the old ones finish.
        let during = try await cluster.dial(from: "iad", audio: audio, tailSeconds: 1)
        #expect(during.error == nil, "\(during.error ?? "")")
        #expect(during.webhookRegion == "fra")

        for call in live {
            let outcome = try await call.value
            #expect(outcome.error == nil, "\(outcome.error ?? "")")
            #expect(outcome.webhookRegion == "iad")
            #expect(outcome.closeReason == nil, "the relay ended a live call: \(outcome.closeReason ?? "")")
            // The agent answers after the caller's 2 s utterance, well after the SIGTERM.
            #expect(outcome.agentFrames > 50)
        }
        let status = await cluster.relays["iad"]?.waitForExit(timeout: .seconds(10))
        #expect(status == 0)
        let log = cluster.relays["iad"]?.errors ?? ""
        #expect(log.contains("draining: no new calls"))
        #expect(log.contains("drained: every call finished"))
    }

    @Test func callsStillUpAtTheDrainDeadlineAreEndedWithAReason() async throws {
        let cluster = try await RegionCluster(regions: Self.regions, edges: Self.edges, drainSeconds: 1)
        let audio = try cluster.writeVoice(seconds: 4.0, name: "caller.wav")
        let port = try #require(cluster.edgePorts["syd"])
        let live = Task { try await RegionCluster.dial(port: port, audio: audio, tailSeconds: 2) }
        try await cluster.waitForCalls("syd", count: 1, timeout: .seconds(20))
        cluster.relays["syd"]?.signal(SIGTERM)
        let outcome = try await live.value
        #expect(outcome.closeReason == "drain deadline")
        let status = await cluster.relays["syd"]?.waitForExit(timeout: .seconds(10))
        #expect(status == 0)
        let log = cluster.relays["syd"]?.errors ?? ""
        #expect(log.contains("drain deadline reached"))
        #expect(log.split(separator: "\n").contains { $0.contains("call ended") && $0.contains("drain deadline") })
    }
}
