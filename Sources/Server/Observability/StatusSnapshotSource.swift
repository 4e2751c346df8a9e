import CallRecords

/// What the status page shows, gathered from the instance: its health and peers, the metrics'
/// outcome counts and latency histograms, and (for the admin) its recent calls.
struct StatusSnapshotSource: Sendable {
    let region: String
    let modelName: String
    let capacity: Int
    let health: RelayHealth
    let router: RegionRouter
    let peers: PeerHealth?
    let metrics: RelayMetrics
    let recorder: RecordWriter?

    func snapshot(includeCalls: Bool) async -> StatusSnapshot {
        let exposition = String(decoding: metrics.render(store: recorder.map { ($0.statistics.queueDepth, $0.outbox.count) }), as: UTF8.self)
        let status = health.status
        let recent = includeCalls ? (try? await recorder?.store.calls(since: nil, limit: 10)) ?? [] : []
        return StatusSnapshot(
            region: region, model: modelName, canTakeCalls: status.canTakeCalls, reason: status.reason,
            activeCalls: health.registry.count,
            activeByCarrier: StatusSnapshot.totals(of: "voice_relay_active_calls", by: "carrier", in: exposition), capacity: capacity,
            peers: router.plan.failover(for: region).map { StatusSnapshot.Peer(region: $0, healthy: peers?.isHealthy($0)) },
            callsByOutcome: StatusSnapshot.totals(of: "voice_relay_calls_total", by: "outcome", in: exposition),
            callsByCarrier: StatusSnapshot.totals(of: "voice_relay_calls_total", by: "carrier", in: exposition),
            histograms: ["voiceToVoice": StatusSnapshot.buckets(of: "voice_relay_voice_to_voice_seconds", in: exposition),
                         "bargeIn": StatusSnapshot.buckets(of: "voice_relay_barge_in_reaction_seconds", in: exposition),
                         "inbound": StatusSnapshot.buckets(of: "voice_relay_relay_inbound_latency_seconds", in: exposition)],
            callsVisible: includeCalls,
            recentCalls: recent.map { call in
                StatusSnapshot.RecentCall(callSid: call.callSid, carrier: call.carrier, tenant: call.tenant, region: call.region, startedAt: call.startedAt,
                                          seconds: call.endedAt.map { $0.timeIntervalSince(call.startedAt) }, endReason: call.endReason,
                                          voiceToVoiceMs: call.voiceToVoiceP50Ms)
            })
    }
}
