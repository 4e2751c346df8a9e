import Foundation

/// What happened on one call, written when it starts and again, complete, when it ends.
/// Rows are keyed by `callSid`: writing a newer version replaces the older one.
public struct CallRecord: Sendable, Codable, Equatable {
    public var callSid: String
    public var streamSid: String
    /// Who was called (the called number): the tenant.
    public var tenant: String
    /// The caller's number, hashed or in clear as configured, or empty.
    public var caller: String
    public var region: String
    /// The carrier the call came through (`twilio`, `plivo`, `telnyx`, `vonage`).
    public var carrier: String
    public var provider: String
    public var endpoint: String
    public var startedAt: Date
    public var endedAt: Date?
    /// Why the call ended (`twilio stop`, `websocket closed`, `drain deadline`, ...); nil while it runs.
    public var endReason: String?
    public var framesIn: Int
    public var framesOut: Int
    public var framesLost: Int
    public var framesConcealed: Int
    public var bargeIns: Int
    public var reconnects: Int
    /// End of caller speech to the first agent audio sent back, over the call's turns.
    public var voiceToVoiceP50Ms: Double?
    public var voiceToVoiceP95Ms: Double?

    public init(callSid: String, streamSid: String, tenant: String, caller: String, region: String, provider: String,
                endpoint: String, startedAt: Date, endedAt: Date? = nil, endReason: String? = nil, framesIn: Int = 0,
                framesOut: Int = 0, framesLost: Int = 0, framesConcealed: Int = 0, bargeIns: Int = 0, reconnects: Int = 0,
                voiceToVoiceP50Ms: Double? = nil, voiceToVoiceP95Ms: Double? = nil, carrier: String = "twilio") {
        self.carrier = carrier
        self.callSid = callSid
        self.streamSid = streamSid
        self.tenant = tenant
        self.caller = caller
        self.region = region
        self.provider = provider
        self.endpoint = endpoint
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.framesIn = framesIn
        self.framesOut = framesOut
        self.framesLost = framesLost
        self.framesConcealed = framesConcealed
        self.bargeIns = bargeIns
        self.reconnects = reconnects
        self.voiceToVoiceP50Ms = voiceToVoiceP50Ms
        self.voiceToVoiceP95Ms = voiceToVoiceP95Ms
    }
}

extension CallRecord {
    private enum CodingKeys: String, CodingKey {
        case callSid, streamSid, tenant, caller, region, carrier, provider, endpoint, startedAt, endedAt, endReason, framesIn,
             framesOut, framesLost, framesConcealed, bargeIns, reconnects, voiceToVoiceP50Ms, voiceToVoiceP95Ms
    }

    /// Reads records an older relay left in the outbox, before calls named their carrier (Twilio's, then).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(callSid: try container.decode(String.self, forKey: .callSid), streamSid: try container.decode(String.self, forKey: .streamSid),
                  tenant: try container.decode(String.self, forKey: .tenant), caller: try container.decode(String.self, forKey: .caller),
                  region: try container.decode(String.self, forKey: .region), provider: try container.decode(String.self, forKey: .provider),
                  endpoint: try container.decode(String.self, forKey: .endpoint), startedAt: try container.decode(Date.self, forKey: .startedAt),
                  endedAt: try container.decodeIfPresent(Date.self, forKey: .endedAt),
                  endReason: try container.decodeIfPresent(String.self, forKey: .endReason),
                  framesIn: try container.decode(Int.self, forKey: .framesIn), framesOut: try container.decode(Int.self, forKey: .framesOut),
                  framesLost: try container.decode(Int.self, forKey: .framesLost),
                  framesConcealed: try container.decode(Int.self, forKey: .framesConcealed),
                  bargeIns: try container.decode(Int.self, forKey: .bargeIns), reconnects: try container.decode(Int.self, forKey: .reconnects),
                  voiceToVoiceP50Ms: try container.decodeIfPresent(Double.self, forKey: .voiceToVoiceP50Ms),
                  voiceToVoiceP95Ms: try container.decodeIfPresent(Double.self, forKey: .voiceToVoiceP95Ms),
                  carrier: try container.decodeIfPresent(String.self, forKey: .carrier) ?? "twilio")
    }
}

/// One turn of a conversation: the caller speaking, or the agent answering. Keyed by
/// (`callSid`, `index`).
public struct TurnRecord: Sendable, Codable, Equatable {
    public enum Speaker: String, Sendable, Codable { case caller, agent }

    public var callSid: String
    /// The turn's position in the call, from 0.
    public var index: Int
    public var speaker: Speaker
    public var startedAt: Date
    public var endedAt: Date?
    /// What was said, when the model provides a transcript.
    public var transcript: String?
    /// The caller spoke over this agent turn and it was cut off.
    public var interrupted: Bool
    /// For agent turns: how much of the answer the caller actually heard.
    public var audioPlayedMs: Int?

    public init(callSid: String, index: Int, speaker: Speaker, startedAt: Date, endedAt: Date? = nil, transcript: String? = nil,
                interrupted: Bool = false, audioPlayedMs: Int? = nil) {
        self.callSid = callSid
        self.index = index
        self.speaker = speaker
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.transcript = transcript
        self.interrupted = interrupted
        self.audioPlayedMs = audioPlayedMs
    }
}

/// Something notable during a call (a barge-in, a model reconnect, an error). Keyed by
/// (`callSid`, `sequence`).
public struct CallEvent: Sendable, Codable, Equatable {
    public var callSid: String
    public var sequence: Int
    public var at: Date
    public var kind: String
    public var detail: String

    public init(callSid: String, sequence: Int, at: Date, kind: String, detail: String) {
        self.callSid = callSid
        self.sequence = sequence
        self.at = at
        self.kind = kind
        self.detail = detail
    }
}

/// Anything the store keeps, as the writer queues it.
public enum StoreRecord: Sendable, Codable, Equatable {
    case call(CallRecord)
    case turn(TurnRecord)
    case event(CallEvent)

    public var callSid: String {
        switch self {
        case .call(let call): call.callSid
        case .turn(let turn): turn.callSid
        case .event(let event): event.callSid
        }
    }
}

/// A call with its turns and events, as the read side returns it.
public struct CallDetail: Sendable, Codable, Equatable {
    public var call: CallRecord
    public var turns: [TurnRecord]
    public var events: [CallEvent]

    public init(call: CallRecord, turns: [TurnRecord], events: [CallEvent]) {
        self.call = call
        self.turns = turns
        self.events = events
    }
}
