/// What the region plan says of one phone number: the carrier its calls come through and,
/// optionally, the audio that carrier streams for it (a number on a SIP or WebRTC trunk can carry
/// Opus or 16 kHz audio where the relay's default serves the PSTN's 8 kHz). Written as the
/// carrier's name alone, or as `{"carrier": "telnyx", "audio": "OPUS"}`.
public struct NumberRoute: Sendable, Codable, Equatable {
    public var carrier: String
    /// In the carrier's own terms: Telnyx's codec, Plivo's or Vonage's content type; nil: the
    /// relay's setting for that carrier.
    public var audio: String?

    public init(carrier: String, audio: String? = nil) {
        self.carrier = carrier
        self.audio = audio
    }

    private enum CodingKeys: String, CodingKey { case carrier, audio }

    public init(from decoder: any Decoder) throws {
        if let carrier = try? decoder.singleValueContainer().decode(String.self) {
            self.init(carrier: carrier)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(carrier: try container.decode(String.self, forKey: .carrier), audio: try container.decodeIfPresent(String.self, forKey: .audio))
    }

    public func encode(to encoder: any Encoder) throws {
        guard let audio else {
            var container = encoder.singleValueContainer()
            try container.encode(carrier)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(carrier, forKey: .carrier)
        try container.encode(audio, forKey: .audio)
    }

    /// The audio each carrier can be asked for, in its terms (Twilio streams mu-law only).
    public static let audioChoices: [String: [String]] = [
        "twilio": [],
        "plivo": ["audio/x-l16;rate=16000", "audio/x-l16;rate=8000", "audio/x-mulaw;rate=8000"],
        "telnyx": ["PCMU", "PCMA", "L16", "OPUS"],
        "vonage": ["audio/l16;rate=16000", "audio/l16;rate=8000"],
    ]

    /// Why this route cannot be served, or nil.
    func problem(number: String) -> String? {
        guard let choices = Self.audioChoices[carrier] else {
            return "number \(number) names carrier \(carrier), not one of \(Self.audioChoices.keys.sorted().joined(separator: ", "))"
        }
        if let audio, !choices.contains(audio) {
            return choices.isEmpty ? "number \(number): \(carrier) streams one audio format, \(audio) cannot be chosen"
                : "number \(number): \(carrier) streams \(choices.joined(separator: ", ")), not \(audio)"
        }
        return nil
    }
}
