import Foundation

/// Parses the text messages of a Vonage Voice API WebSocket into ``MediaStreamMessage``s. Vonage
/// sends caller audio in binary frames, which need no parsing (the handler numbers them); its text
/// messages are events: `websocket:connected` opens the stream (the NCCO endpoint's
/// `content-type` and `headers`, flattened into the message), `websocket:dtmf`, the echo of a
/// `notify` (`websocket:notify`, the relay's marks) and of a `clear` (`websocket:cleared`).
public struct VonageStreamParser: MediaStreamReader {
    public var maximumMessageBytes: Int

    public init(maximumMessageBytes: Int = 64 * 1024) {
        self.maximumMessageBytes = maximumMessageBytes
    }

    public func parse(_ message: UnsafeRawBufferPointer, payload: UnsafeMutableRawBufferPointer,
                      streamSid: UnsafeRawBufferPointer? = nil) throws(MediaStreamProtocolError) -> MediaStreamMessage {
        let (fields, scanner, event) = try VonageStreamFields.envelope(message, limit: maximumMessageBytes, streamSid: nil)
        if scanner.matches(event, "websocket:notify") {
            guard let name = fields.markName else { throw .missingField("payload.mark") }
            return .mark(name: scanner.text(name))
        }
        if scanner.matches(event, "websocket:dtmf") {
            guard let digit = fields.digit else { throw .missingField("digit") }
            return .dtmf(digit: scanner.text(digit))
        }
        if scanner.matches(event, "websocket:cleared") { return .cleared }
        if scanner.matches(event, "websocket:connected") { return .start(try start(message)) }
        return .unknown(event: scanner.text(event))
    }

    /// The stream's `start`: its format from `content-type`, the call from the NCCO's headers
    /// (`callSid`, the call's uuid, names it; Vonage gives no stream id, so the call's stands in).
    private func start(_ message: UnsafeRawBufferPointer) throws(MediaStreamProtocolError) -> MediaStreamStart {
        guard let object = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any] else {
            throw .invalidField("websocket:connected")
        }
        guard let contentType = object["content-type"] as? String else { throw .missingField("content-type") }
        guard let format = Self.mediaFormat(contentType: contentType) else { throw .invalidField("content-type") }
        var headers: [String: String] = [:]
        for (name, value) in object where name != "event" && name != "content-type" {
            if let text = value as? String { headers[name] = text }
        }
        guard let callSid = headers["callSid"], !callSid.isEmpty else { throw .missingField("callSid") }
        return MediaStreamStart(streamSid: callSid, callSid: callSid, accountSid: "", customParameters: headers, mediaFormat: format)
    }

    /// `audio/l16;rate=16000` as a media format (`audio/l16` at 16,000 Hz); nil if it is not a
    /// media type with a numeric rate.
    public static func mediaFormat(contentType: String) -> MediaStreamStart.MediaFormat? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = parts.first, type.contains("/") else { return nil }
        var rate: Int?
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "rate" { rate = Int(pair[1]) }
        }
        guard let rate else { return nil }
        return .init(encoding: type.lowercased(), sampleRate: rate, channels: 1)
    }
}
