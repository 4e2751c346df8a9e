/// A message a carrier sends on its media stream, in the relay's terms (each carrier's
/// ``MediaStreamReader`` maps its own names onto these).
public enum MediaStreamMessage: Sendable, Equatable {
    case connected
    case start(MediaStreamStart)
    /// Caller audio; its payload was decoded into the buffer given to the parser.
    case media(MediaPacket)
    /// The echo of a mark we sent: audio queued before it has played (or was cleared).
    case mark(name: String)
    case dtmf(digit: String)
    /// The carrier dropped the audio it had queued, as asked (Plivo's `clearedAudio`).
    case cleared
    case stop
    /// The carrier reports a problem with what it was sent (Telnyx's `error`); the stream goes on.
    case carrierError(detail: String)
    /// An event this relay does not know: logged and ignored, never fatal.
    case unknown(event: String)
}

/// The numbers of a `media` message.
public struct MediaPacket: Sendable, Equatable {
    /// Counts from 1 per stream; gaps mean lost audio.
    public var chunk: UInt32
    /// Milliseconds since the stream started (0 where the carrier gives wall-clock time instead).
    public var timestampMs: UInt32
    /// Bytes of mu-law written to the parser's payload buffer.
    public var payloadCount: Int
    /// Whether the track is the caller's (`inbound`, the default when absent).
    public var isInbound: Bool

    public init(chunk: UInt32, timestampMs: UInt32, payloadCount: Int, isInbound: Bool) {
        self.chunk = chunk
        self.timestampMs = timestampMs
        self.payloadCount = payloadCount
        self.isInbound = isInbound
    }
}

/// The `start` message: who the stream belongs to and how its audio is encoded.
public struct MediaStreamStart: Sendable, Equatable, Decodable {
    public struct MediaFormat: Sendable, Equatable, Decodable {
        public var encoding: String
        public var sampleRate: Int
        public var channels: Int

        public init(encoding: String, sampleRate: Int, channels: Int) {
            self.encoding = encoding
            self.sampleRate = sampleRate
            self.channels = channels
        }
    }

    public var streamSid: String
    public var callSid: String
    public var accountSid: String
    public var tracks: [String]
    public var customParameters: [String: String]
    public var mediaFormat: MediaFormat

    public init(streamSid: String, callSid: String, accountSid: String, tracks: [String] = ["inbound"],
                customParameters: [String: String] = [:],
                mediaFormat: MediaFormat = .init(encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1)) {
        self.streamSid = streamSid
        self.callSid = callSid
        self.accountSid = accountSid
        self.tracks = tracks
        self.customParameters = customParameters
        self.mediaFormat = mediaFormat
    }

    package enum CodingKeys: String, CodingKey {
        case streamSid, callSid, accountSid, tracks, customParameters, mediaFormat
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        streamSid = try container.decode(String.self, forKey: .streamSid)
        callSid = try container.decode(String.self, forKey: .callSid)
        accountSid = try container.decodeIfPresent(String.self, forKey: .accountSid) ?? ""
        tracks = try container.decodeIfPresent([String].self, forKey: .tracks) ?? ["inbound"]
        customParameters = try container.decodeIfPresent([String: String].self, forKey: .customParameters) ?? [:]
        mediaFormat = try container.decodeIfPresent(MediaFormat.self, forKey: .mediaFormat)
            ?? .init(encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1)
    }
}
