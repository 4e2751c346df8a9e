import Foundation

/// Parses Media Streams messages. `media`, fifty times a second per call, is read straight from
/// the bytes by ``JSONScanner`` with its payload base64-decoded into the caller's buffer: no
/// allocation. The rare messages (`start`, `mark`, `dtmf`) go through `JSONDecoder` or make a
/// `String`, which is fine at their rate.
public struct MediaStreamParser: MediaStreamReader {
    /// Larger messages are refused before parsing (a 20 ms media message is ~300 bytes).
    public var maximumMessageBytes: Int

    public init(maximumMessageBytes: Int = 64 * 1024) {
        self.maximumMessageBytes = maximumMessageBytes
    }

    /// Parses one text frame. `payload` receives a media message's audio; when `streamSid` is
    /// given, a message carrying another streamSid is refused.
    public func parse(_ message: UnsafeRawBufferPointer, payload: UnsafeMutableRawBufferPointer,
                      streamSid: UnsafeRawBufferPointer? = nil) throws(MediaStreamProtocolError) -> MediaStreamMessage {
        let (fields, scanner, event) = try MediaStreamFields.envelope(message, limit: maximumMessageBytes, streamSid: streamSid)

        if scanner.matches(event, "media") {
            return .media(try media(fields, scanner: scanner, payload: payload))
        }
        if scanner.matches(event, "connected") { return .connected }
        if scanner.matches(event, "stop") { return .stop }
        if scanner.matches(event, "start") { return .start(try start(message)) }
        if scanner.matches(event, "mark") {
            guard let name = fields.markName else { throw .missingField("mark.name") }
            return .mark(name: scanner.text(name))
        }
        if scanner.matches(event, "dtmf") {
            guard let digit = fields.dtmfDigit else { throw .missingField("dtmf.digit") }
            return .dtmf(digit: scanner.text(digit))
        }
        return .unknown(event: scanner.text(event))
    }

    private func media(_ fields: MediaStreamFields, scanner: JSONScanner, payload: UnsafeMutableRawBufferPointer) throws(MediaStreamProtocolError) -> MediaPacket {
        guard let encoded = fields.payload else { throw .missingField("media.payload") }
        guard let chunk = fields.chunk else { throw .missingField("media.chunk") }
        guard chunk <= UInt64(UInt32.max) else { throw .invalidField("media.chunk") }
        let timestamp = fields.timestamp ?? 0
        guard timestamp <= UInt64(UInt32.max) else { throw .invalidField("media.timestamp") }
        let count: Int
        do {
            count = try scanner.decodeBase64(encoded, into: payload)
        } catch {
            throw .invalidPayload(String(describing: error))
        }
        return MediaPacket(chunk: UInt32(chunk), timestampMs: UInt32(timestamp), payloadCount: count, isInbound: fields.inboundTrack)
    }

    private func start(_ message: UnsafeRawBufferPointer) throws(MediaStreamProtocolError) -> MediaStreamStart {
        struct Envelope: Decodable { var start: MediaStreamStart }
        do {
            return try JSONDecoder().decode(Envelope.self, from: Data(message)).start
        } catch let DecodingError.keyNotFound(key, context) {
            throw .missingField((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))
        } catch {
            throw .invalidField("start")
        }
    }
}
