import CallRecords
import Foundation

/// What the status page shows, sent to it once a second as one JSON object.
struct StatusSnapshot: Encodable {
    struct Peer: Encodable {
        var region: String
        var healthy: Bool?
    }
    struct Bucket: Encodable {
        var le: String
        var count: Double
    }
    struct RecentCall: Encodable {
        var callSid: String
        var carrier: String
        var tenant: String
        var region: String
        var startedAt: Date
        var seconds: Double?
        var endReason: String?
        var voiceToVoiceMs: Double?
    }

    var region: String
    var model: String
    var canTakeCalls: Bool
    var reason: String?
    var activeCalls: Int
    /// Calls in progress by carrier.
    var activeByCarrier: [String: Double]
    var capacity: Int
    var peers: [Peer]
    var callsByOutcome: [String: Double]
    var callsByCarrier: [String: Double]
    var histograms: [String: [Bucket]]
    /// Whether the request carried the admin token: only then are `recentCalls` filled in.
    var callsVisible: Bool
    var recentCalls: [RecentCall]

    /// Cumulative bucket counts of `family` (summed over label sets), from the exposition text.
    static func buckets(of family: String, in exposition: String) -> [Bucket] {
        var totals: [(le: String, count: Double)] = []
        for line in exposition.split(separator: "\n") where line.hasPrefix(family + "_bucket{") {
            guard let leStart = line.range(of: "le=\""), let leEnd = line[leStart.upperBound...].firstIndex(of: "\""),
                  let count = Double(line.split(separator: " ").last ?? "") else { continue }
            let le = String(line[leStart.upperBound..<leEnd])
            if let index = totals.firstIndex(where: { $0.le == le }) { totals[index].count += count } else { totals.append((le, count)) }
        }
        return totals.map { Bucket(le: $0.le, count: $0.count) }
    }

    /// `family`'s values summed by its `label` (`voice_relay_calls_total` by `outcome`, ...).
    static func totals(of family: String, by label: String, in exposition: String) -> [String: Double] {
        var totals: [String: Double] = [:]
        for line in exposition.split(separator: "\n") where line.hasPrefix(family + "{") {
            guard let start = line.range(of: label + "=\""), let end = line[start.upperBound...].firstIndex(of: "\""),
                  let count = Double(line.split(separator: " ").last ?? "") else { continue }
            totals[String(line[start.upperBound..<end]), default: 0] += count
        }
        return totals
    }
}
