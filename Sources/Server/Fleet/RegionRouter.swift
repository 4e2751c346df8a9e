/// Decides, before a call is accepted (the webhook) or its media stream is upgraded, whether this
/// instance takes it, hands it to another region with `fly-replay`, or refuses it.
///
/// Rules: a request Fly already replayed is never bounced again (it is taken or refused); a
/// media stream goes back to the region that answered its webhook (its model session was opened
/// there); a pinned tenant's call is only ever taken in, or replayed to, one of its regions; a
/// call this instance cannot take goes to the first region of this region's failover list that
/// is allowed and not known to be unhealthy.
public struct RegionRouter: Sendable {
    public enum Decision: Sendable, Equatable {
        case accept
        /// Replay to `region`; `reason` is a short code for logs, metrics and `fly-replay`'s state.
        case replay(region: String, reason: String)
        case refuse(reason: String)
    }

    /// What the request says about itself.
    public struct Request: Sendable, Equatable {
        /// The tenant's allowed regions (nil: anywhere).
        public var allowedRegions: [String]?
        /// For a media stream: the region that answered its webhook.
        public var homeRegion: String?
        /// Fly already replayed this request once (`fly-replay-src` is present).
        public var alreadyReplayed: Bool

        public init(allowedRegions: [String]? = nil, homeRegion: String? = nil, alreadyReplayed: Bool = false) {
            self.allowedRegions = allowedRegions
            self.homeRegion = homeRegion
            self.alreadyReplayed = alreadyReplayed
        }
    }

    public let region: String
    public let plan: RegionPlan

    public init(region: String, plan: RegionPlan) {
        self.region = region
        self.plan = plan
    }

    /// `status` is this instance's; `peerHealth` says what is known of another region (nil: unknown).
    public func decide(_ request: Request, status: RelayHealth.Status, peerHealth: (String) -> Bool?) -> Decision {
        let allowedHere = request.allowedRegions.map { $0.contains(region) } ?? true
        if request.alreadyReplayed {
            if !allowedHere { return .refuse(reason: "tenant not allowed in \(region)") }
            return status.canTakeCalls ? .accept : .refuse(reason: status.reason ?? "cannot take calls")
        }
        if let home = request.homeRegion, home != region, isAllowed(home, request), peerHealth(home) != false {
            return .replay(region: home, reason: "home-region")
        }
        if allowedHere && status.canTakeCalls { return .accept }
        let reason = allowedHere ? (status.code ?? "unavailable") : "tenant-pinned"
        if let target = replayTarget(for: request, peerHealth: peerHealth) {
            return .replay(region: target, reason: reason)
        }
        let detail = allowedHere ? (status.reason ?? "cannot take calls") : "tenant not allowed in \(region)"
        return .refuse(reason: "\(detail); no other region can take it")
    }

    /// The nearest allowed region other than this one, preferring those known healthy.
    func replayTarget(for request: Request, peerHealth: (String) -> Bool?) -> String? {
        var candidates = plan.failover(for: region)
        if let allowed = request.allowedRegions {
            candidates = candidates.filter(allowed.contains) + allowed.filter { !candidates.contains($0) }
        }
        candidates.removeAll { $0 == region }
        return candidates.first { peerHealth($0) == true } ?? candidates.first { peerHealth($0) == nil }
    }

    private func isAllowed(_ region: String, _ request: Request) -> Bool {
        request.allowedRegions.map { $0.contains(region) } ?? true
    }
}
