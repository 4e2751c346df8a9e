import Foundation

/// Parses Plivo Audio Streaming messages (`start`, `media`, `dtmf`, `playedStream`,
/// `clearedAudio`, and `stop` should Plivo send one) into ``MediaStreamMessage``s. `media` is
/// read straight from the bytes as Twilio's is; `start` goes through `JSONDecoder`.
public struct PlivoStreamParser: MediaStreamReader {
    public var maximumMessageBytes: Int

    public init(maximumMessageBytes: Int = 64 * 1024) {
        self.maximumMessageBytes = maximumMessageBytes
    }

    public func parse(_ message: UnsafeRawBufferPointer, payload: UnsafeMutableRawBufferPointer,
                      streamSid: UnsafeRawBufferPointer? = nil) throws(MediaStreamProtocolError) -> MediaStreamMessage {
        let (fields, scanner, event) = try PlivoStreamFields.envelope(message, limit: maximumMessageBytes, streamSid: streamSid)
        if scanner.matches(event, "media") {
            guard let encoded = fields.payload else { throw .missingField("media.payload") }
            guard let chunk = fields.chunk else { throw .missingField("media.chunk") }
            guard chunk <= UInt64(UInt32.max) else { throw .invalidField("media.chunk") }
            let count: Int
            do {
                count = try scanner.decodeBase64(encoded, into: payload)
            } catch {
                throw .invalidPayload(String(describing: error))
            }
            return .media(MediaPacket(chunk: UInt32(chunk), timestampMs: 0, payloadCount: count, isInbound: fields.inboundTrack))
        }
        if scanner.matches(event, "playedStream") {
            guard let name = fields.name else { throw .missingField("name") }
            return .mark(name: scanner.text(name))
        }
        if scanner.matches(event, "clearedAudio") { return .cleared }
        if scanner.matches(event, "dtmf") {
            guard let digit = fields.dtmfDigit else { throw .missingField("dtmf.digit") }
            return .dtmf(digit: scanner.text(digit))
        }
        if scanner.matches(event, "start") { return .start(try start(message)) }
        if scanner.matches(event, "stop") { return .stop }
        return .unknown(event: scanner.text(event))
    }

    private func start(_ message: UnsafeRawBufferPointer) throws(MediaStreamProtocolError) -> MediaStreamStart {
        struct Envelope: Decodable {
            struct Start: Decodable {
                struct Format: Decodable {
                    var encoding: String
                    var sampleRate: Int
                }
                var callId: String
                var streamId: String
                var accountId: String?
                var tracks: [String]?
                var mediaFormat: Format
            }
            var start: Start
            var extra_headers: String?
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
        return MediaStreamStart(streamSid: start.streamId, callSid: start.callId, accountSid: start.accountId ?? "",
                                tracks: start.tracks ?? ["inbound"], customParameters: Self.extraHeaders(envelope.extra_headers ?? ""),
                                mediaFormat: .init(encoding: start.mediaFormat.encoding, sampleRate: start.mediaFormat.sampleRate, channels: 1))
    }

    /// The `<Stream extraHeaders>` pairs Plivo hands back: `name=value`, separated by `,` in the
    /// XML and by `;` in Plivo's examples of `start`; both are read.
    static func extraHeaders(_ text: String) -> [String: String] {
        var pairs: [String: String] = [:]
        for pair in text.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            pairs[String(parts[0]).trimmingCharacters(in: .whitespaces)] = String(parts[1]).trimmingCharacters(in: .whitespaces)
        }
        return pairs
    }
}
