import Foundation
/// Everything `voice-relay serve` can be told, from flags or the environment Fly sets.
public struct RelayConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The host Twilio reaches us at (`PUBLIC_HOST`); else the webhook request's Host header.
    public var publicHost: String?
    /// When set, every webhook and media-stream upgrade must carry a valid `X-Twilio-Signature`.
    public var twilioAuthToken: String?
    /// When set, every Plivo webhook must carry a valid `X-Plivo-Signature-V3` with a fresh nonce,
    /// and every Plivo stream the ticket its webhook answer gave it.
    public var plivoAuthToken: String?
    /// When set (base64, as Telnyx's portal shows it), every Telnyx webhook must carry a valid
    /// `telnyx-signature-ed25519` within the timestamp tolerance, and every Telnyx stream its ticket.
    public var telnyxPublicKey: String?
    /// When set, every Vonage webhook must carry a JWT signed with it (Vonage's signature secret),
    /// issued within five minutes and not seen before, and every Vonage stream its ticket.
    public var vonageSignatureSecret: String?
    /// The secret of the stream tickets of carriers whose own credential is public (Telnyx signs
    /// with a key pair); every instance of a region must share it (`STREAM_TICKET_SECRET`).
    public var streamTicketSecret: String
    /// The audio Plivo streams (`audio/x-l16;rate=16000`: the widest it offers, the default;
    /// `audio/x-l16;rate=8000`, `audio/x-mulaw;rate=8000`).
    public var plivoContentType: String
    /// The codec Telnyx streams both ways (`PCMU`, the default, `PCMA`, or `L16` or `OPUS` at 16 kHz).
    public var telnyxCodec: String
    /// The audio Vonage streams (`audio/l16;rate=16000`, the default, or `audio/l16;rate=8000`).
    public var vonageContentType: String
    /// Without a Plivo token, Telnyx key or Vonage secret: whether that carrier's routes take calls unchecked
    /// (else they are not served).
    public var takesUnsignedCarriers: Bool
    /// This instance's region (`FLY_REGION`), passed to the stream as a parameter.
    public var region: String
    /// Larger WebSocket messages are refused (a media message is ~300 bytes).
    public var maximumMessageBytes: Int
    /// Calls this instance takes at once; above it, health is 503 and new calls are replayed.
    public var maximumCalls: Int
    /// Open TCP connections (HTTP and WebSocket) beyond which new ones get a 503 and are closed.
    public var maximumConnections: Int
    /// A connection must send a whole HTTP request head within this, or it is closed.
    public var handshakeTimeout: Duration
    /// A media stream must send `start` within this after the upgrade.
    public var startTimeout: Duration
    /// A model session opened at the webhook is closed if no stream claims it within this.
    public var preopenedSessionTimeout: Duration
    /// A media stream that sends nothing for this long is closed (Twilio sends 50 messages a second).
    public var idleTimeout: Duration
    /// How long a SIGTERM drain lets calls in progress run on (shorter than fly.toml's `kill_timeout`).
    public var drainDeadline: Duration
    /// How caller numbers are kept in call records.
    public var callerNumbers: CallerNumbers
    /// Bearer token for `GET /calls` and `GET /calls/{callSid}`; without one they are disabled.
    public var adminToken: String?
    /// Whether a key the caller presses reaches the model as a user message (`DTMF_TO_MODEL`).
    public var dtmfToModel: Bool
    /// The most transcribed turns a model session opened after a drop is given (`RECONNECT_HISTORY_TURNS`).
    public var reconnectHistoryTurns: Int

    public init(host: String = "0.0.0.0", port: Int = 8080, publicHost: String? = nil, twilioAuthToken: String? = nil,
                plivoAuthToken: String? = nil, telnyxPublicKey: String? = nil, vonageSignatureSecret: String? = nil,
                streamTicketSecret: String = RelayConfiguration.randomSecret(), takesUnsignedCarriers: Bool = true,
                plivoContentType: String = "audio/x-l16;rate=16000", telnyxCodec: String = "PCMU",
                vonageContentType: String = "audio/l16;rate=16000",
                region: String = "local", maximumMessageBytes: Int = 64 * 1024, maximumCalls: Int = 500,
                maximumConnections: Int? = nil, handshakeTimeout: Duration = .seconds(10), startTimeout: Duration = .seconds(10),
                idleTimeout: Duration = .seconds(10), preopenedSessionTimeout: Duration = .seconds(15), drainDeadline: Duration = .seconds(50), callerNumbers: CallerNumbers = .hashed(salt: "voice-relay"),
                adminToken: String? = nil, dtmfToModel: Bool = true, reconnectHistoryTurns: Int = 20) {
        self.host = host
        self.port = port
        self.publicHost = publicHost
        self.twilioAuthToken = twilioAuthToken
        self.plivoAuthToken = plivoAuthToken
        self.takesUnsignedCarriers = takesUnsignedCarriers
        self.telnyxPublicKey = telnyxPublicKey
        self.streamTicketSecret = streamTicketSecret
        self.plivoContentType = plivoContentType
        self.telnyxCodec = telnyxCodec
        self.vonageSignatureSecret = vonageSignatureSecret
        self.vonageContentType = vonageContentType
        self.region = region
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumCalls = maximumCalls
        // Calls, plus room for webhooks, health checks and refused upgrades.
        self.maximumConnections = maximumConnections ?? maximumCalls * 2 + 64
        self.handshakeTimeout = handshakeTimeout
        self.startTimeout = startTimeout
        self.idleTimeout = idleTimeout
        self.preopenedSessionTimeout = preopenedSessionTimeout
        self.drainDeadline = drainDeadline
        self.callerNumbers = callerNumbers
        self.adminToken = adminToken
        self.dtmfToModel = dtmfToModel
        self.reconnectHistoryTurns = reconnectHistoryTurns
    }
}

extension RelayConfiguration {
    /// 32 random bytes, base64: a stream-ticket secret for an instance that was given none.
    public static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
    }
}
