import Foundation

/// Parses Telnyx media-streaming messages (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`,
/// `error`) into ``MediaStreamMessage``s. `media` is read straight from the bytes as Twilio's is;
/// `start` goes through `JSONDecoder`. The encodings Telnyx names (`PCMU`, `PCMA`, `L16`, `OPUS`)
/// are given back as the MIME types the rest of the relay uses (`audio/x-mulaw`, ...).
public struct TelnyxStreamParser: MediaStreamReader {
    public var maximumMessageBytes: Int

    public init(maximumMessageBytes: Int = 64 * 1024) {
        self.maximumMessageBytes = maximumMessageBytes
    }

    public func parse(_ message: UnsafeRawBufferPointer, payload: UnsafeMutableRawBufferPointer,
                      streamSid: UnsafeRawBufferPointer? = nil) throws(MediaStreamProtocolError) -> MediaStreamMessage {
        let (fields, scanner, event) = try TelnyxStreamFields.envelope(message, limit: maximumMessageBytes, streamSid: streamSid)
        if scanner.matches(event, "media") {
            guard let encoded = fields.payload else { throw .missingField("media.payload") }
            // Frame order is not guaranteed: `chunk` (else `sequence_number`) orders them.
            guard let chunk = fields.chunk ?? fields.sequenceNumber else { throw .missingField("media.chunk") }
            guard chunk <= UInt64(UInt32.max) else { throw .invalidField("media.chunk") }
            let count: Int
            do {
                count = try scanner.decodeBase64(encoded, into: payload)
            } catch {
                throw .invalidPayload(String(describing: error))
            }
            let timestamp = fields.timestamp.flatMap { $0 <= UInt64(UInt32.max) ? UInt32($0) : nil } ?? 0
            return .media(MediaPacket(chunk: UInt32(chunk), timestampMs: timestamp, payloadCount: count, isInbound: fields.inboundTrack))
        }
        if scanner.matches(event, "mark") {
            guard let name = fields.markName else { throw .missingField("mark.name") }
            return .mark(name: scanner.text(name))
        }
        if scanner.matches(event, "dtmf") {
            guard let digit = fields.dtmfDigit else { throw .missingField("dtmf.digit") }
            return .dtmf(digit: scanner.text(digit))
        }
        if scanner.matches(event, "connected") { return .connected }
        if scanner.matches(event, "start") { return .start(try start(message)) }
        if scanner.matches(event, "stop") { return .stop }
        if scanner.matches(event, "error") { return .carrierError(detail: fields.errorDetail.map(scanner.text) ?? "unspecified") }
        return .unknown(event: scanner.text(event))
    }

    private func start(_ message: UnsafeRawBufferPointer) throws(MediaStreamProtocolError) -> MediaStreamStart {
        struct Envelope: Decodable {
            struct Start: Decodable {
                struct Format: Decodable {
                    var encoding: String
                    var sample_rate: Int
                    var channels: Int?
                }
                var call_control_id: String
                var user_id: String?
                var custom_parameters: [String: String]?
                var media_format: Format
            }
            var stream_id: String
            var start: Start
        }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(message))
        } catch let DecodingError.keyNotFound(key, context) {
            throw .missingField((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))
        } catch {
            throw .invalidField("start")
        }
        let start = envelope.start
        return MediaStreamStart(streamSid: envelope.stream_id, callSid: start.call_control_id, accountSid: start.user_id ?? "",
                                customParameters: start.custom_parameters ?? [:],
                                mediaFormat: .init(encoding: Self.mimeType(of: start.media_format.encoding),
                                                   sampleRate: start.media_format.sample_rate, channels: start.media_format.channels ?? 1))
    }

    /// Telnyx's codec names as MIME types; a name it does not know is passed on as it came.
    public static func mimeType(of encoding: String) -> String {
        switch encoding.uppercased() {
        case "PCMU", "AUDIO/X-MULAW": "audio/x-mulaw"
        case "PCMA", "AUDIO/X-ALAW": "audio/x-alaw"
        case "L16": "audio/L16"
        case "OPUS": "audio/opus"
        default: encoding
        }
    }
}
