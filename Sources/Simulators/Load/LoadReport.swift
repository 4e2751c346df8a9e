/// What a load run measured.
public struct LoadReport: Codable, Sendable {
    public struct Direction: Codable, Sendable {
        /// Frames one end sent and the other received over the whole run.
        public var sent: Int
        public var received: Int
        public var lost: Int
        /// Frames the sending end held back because the relay was not reading that socket (not
        /// in `sent`); nonzero only when the relay, or the machine, cannot keep up.
        public var heldBack: Int
        /// Relay-added latency over the measured window, matched frame by frame (ms).
        public var p50Ms: Double
        public var p99Ms: Double
        public var maxMs: Double
        public var samples: UInt64
    }

    public struct MemoryPoint: Codable, Sendable {
        public var seconds: Double
        public var residentMB: Double
    }

    public var calls: Int
    public var callsHeld: Int
    public var modelAudio: String
    public var windowSeconds: Double
    public var rampSeconds: Double
    public var inbound: Direction
    public var outbound: Direction
    /// Relay CPU per call-second (ms), and the cores it used, over the window.
    public var relayCPUMsPerCallSecond: Double
    public var relayCores: Double
    /// The share of the relay's CPU spent in the kernel (0...1): about all of a floor relay's
    /// (`scripts/measure/floor-relay.sh`), so what is above the floor shows in the user part.
    public var relayKernelShare: Double
    public var relayResidentMBBefore: Double
    public var relayResidentMBAfter: Double
    public var residentKBPerCall: Double
    /// Cores the generator's and the model stand-in's threads used over the window.
    public var generatorCores: Double
    public var modelCores: Double
    public var generatorLateTicks: Int
    public var callsClosedByRelay: Int
    public var clears: Int
    public var cancels: Int
    public var marks: Int
    /// The fault injected during the window, if any, and how many calls still received agent
    /// audio from 3 s after it until the end.
    public var fault: String?
    public var callsWithAudioAfterFault: Int?
    public var memory: [MemoryPoint]

    public var table: String {
        func ms(_ value: Double) -> String { String(format: "%.2f", value) }
        return """
        calls held          \(callsHeld) of \(calls) (\(modelAudio) toward the model), window \(String(format: "%.0f", windowSeconds)) s after a \(String(format: "%.1f", rampSeconds)) s ramp
        inbound  frames     sent \(inbound.sent), received \(inbound.received), lost \(inbound.lost), held back \(inbound.heldBack); relay-added p50 \(ms(inbound.p50Ms)) ms, p99 \(ms(inbound.p99Ms)) ms, max \(ms(inbound.maxMs)) ms
        outbound frames     sent \(outbound.sent), received \(outbound.received), lost \(outbound.lost), held back \(outbound.heldBack); relay-added p50 \(ms(outbound.p50Ms)) ms, p99 \(ms(outbound.p99Ms)) ms, max \(ms(outbound.maxMs)) ms
        relay CPU           \(String(format: "%.3f", relayCPUMsPerCallSecond)) ms per call-second (\(String(format: "%.2f", relayCores)) cores, \(String(format: "%.0f", relayKernelShare * 100)) % of it in the kernel)
        relay memory        \(String(format: "%.1f", relayResidentMBBefore)) MB idle, \(String(format: "%.1f", relayResidentMBAfter)) MB loaded: \(String(format: "%.1f", residentKBPerCall)) KB per call
        generator / model   \(String(format: "%.2f", generatorCores)) / \(String(format: "%.2f", modelCores)) cores (generator ticks late: \(generatorLateTicks))
        relay behaviour     marks \(marks), clears \(clears), cancels \(cancels), calls closed by the relay \(callsClosedByRelay)
        """ + (fault.map { "\nfault               \($0): \(callsWithAudioAfterFault ?? 0) of \(calls) calls had agent audio after it" } ?? "")
    }
}
