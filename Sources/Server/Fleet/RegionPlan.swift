import Foundation

/// How a multi-region deployment is laid out, read from a JSON file (`REGIONS_FILE`): which model
/// each region talks to, where each region sends calls it cannot take, where its peers answer
/// health checks, which tenants must stay in which regions, and which carrier each phone number
/// is on (a call to it through another carrier's webhook is refused) with, if it differs from
/// the relay's setting, the audio the carrier streams for it.
///
/// ```json
/// {
///   "default": { "model": { "provider": "openai" } },
///   "regions": {
///     "fra": { "model": { "provider": "azure", "url": "wss://westeurope.example/voice-live" },
///              "failover": ["ams", "iad"] },
///     "iad": { "failover": ["lax", "fra"] }
///   },
///   "tenants": { "+493012345678": ["fra", "ams"], "AC0123456789abcdef": ["fra"] },
///   "numbers": { "+493012345678": "telnyx", "+14155550100": "twilio",
///                "+493012345679": { "carrier": "telnyx", "audio": "OPUS" } }
/// }
/// ```
public struct RegionPlan: Sendable, Codable, Equatable {
    public struct Region: Sendable, Codable, Equatable {
        /// The model this region talks to; the plan's default when absent.
        public var model: ModelEndpoint?
        /// Where this region sends calls it cannot take, nearest first.
        public var failover: [String]?
        /// This region's health URL as its peers reach it; by default
        /// `http://<region>.<FLY_APP_NAME>.internal:<port>/healthz` on Fly's private network.
        public var health: String?

        public init(model: ModelEndpoint? = nil, failover: [String]? = nil, health: String? = nil) {
            self.model = model
            self.failover = failover
            self.health = health
        }
    }

    public struct Defaults: Sendable, Codable, Equatable {
        public var model: ModelEndpoint?
        public init(model: ModelEndpoint? = nil) { self.model = model }
    }

    public var `default`: Defaults?
    public var regions: [String: Region]
    /// Tenant (the called number, or the Twilio AccountSid) to the only regions that may handle its calls.
    public var tenants: [String: [String]]
    /// Phone number (E.164) to the carrier its calls come through (`twilio`, `plivo`, `telnyx`,
    /// `vonage`) and its audio; a number not listed may come through any.
    public var numbers: [String: NumberRoute]

    public init(default: Defaults? = nil, regions: [String: Region] = [:], tenants: [String: [String]] = [:],
                numbers: [String: NumberRoute] = [:]) {
        self.default = `default`
        self.regions = regions
        self.tenants = tenants
        self.numbers = numbers
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.default = try container.decodeIfPresent(Defaults.self, forKey: .default)
        self.regions = try container.decodeIfPresent([String: Region].self, forKey: .regions) ?? [:]
        self.tenants = try container.decodeIfPresent([String: [String]].self, forKey: .tenants) ?? [:]
        self.numbers = try container.decodeIfPresent([String: NumberRoute].self, forKey: .numbers) ?? [:]
    }

    /// Reads and checks a plan file; errors name the file and what is wrong.
    public static func load(path: String) throws -> RegionPlan {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RegionPlanError("cannot read region plan \(path): \(error.localizedDescription)")
        }
        let plan: RegionPlan
        do {
            plan = try JSONDecoder().decode(RegionPlan.self, from: data)
        } catch {
            throw RegionPlanError("region plan \(path) is not valid: \(error)")
        }
        try plan.validate()
        return plan
    }

    func validate() throws {
        for (tenant, regions) in tenants where regions.isEmpty {
            throw RegionPlanError("tenant \(tenant) is pinned to no region at all")
        }
        for (number, route) in numbers {
            if let problem = route.problem(number: number) { throw RegionPlanError(problem) }
        }
        for (name, region) in regions {
            if let failover = region.failover, failover.contains(name) {
                throw RegionPlanError("region \(name) lists itself as its own failover")
            }
        }
    }

    /// The model endpoint for `region`: its own, else the plan's default.
    public func model(for region: String) -> ModelEndpoint? {
        regions[region]?.model ?? self.default?.model
    }

    /// Regions `region` hands calls to when it cannot take them, nearest first.
    public func failover(for region: String) -> [String] {
        regions[region]?.failover ?? []
    }

    /// Whether a call to `calledNumber` may come through `carrier`: yes unless the plan puts the
    /// number on another carrier.
    public func takes(calledNumber: String?, through carrier: String) -> Bool {
        guard let calledNumber, let planned = numbers[calledNumber] else { return true }
        return planned.carrier == carrier
    }

    /// The audio the plan asks of `calledNumber`'s carrier, if it names one.
    public func audio(calledNumber: String?) -> String? {
        calledNumber.flatMap { numbers[$0]?.audio }
    }

    /// The regions a tenant is limited to (by called number first, then account); nil means anywhere.
    public func allowedRegions(calledNumber: String?, accountSid: String?) -> [String]? {
        if let calledNumber, let regions = tenants[calledNumber] { return regions }
        if let accountSid, let regions = tenants[accountSid] { return regions }
        return nil
    }
}

public struct RegionPlanError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
