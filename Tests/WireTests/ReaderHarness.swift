import Wire

/// Runs a carrier's reader on one message as the stream handler does: the message's audio into a
/// payload buffer, and (when `streamId` is given) the stream the message must name.
enum ReaderHarness {
    static func parse(_ reader: some MediaStreamReader, _ text: String, streamId: String? = nil) throws -> (MediaStreamMessage, [UInt8]) {
        var payload = [UInt8](repeating: 0, count: 1024)
        let bytes = Array(text.utf8)
        let expected = Array((streamId ?? "").utf8)
        let message = try bytes.withUnsafeBytes { message in
            try payload.withUnsafeMutableBytes { output in
                try expected.withUnsafeBytes { sid in try reader.parse(message, payload: output, streamSid: streamId == nil ? nil : sid) }
            }
        }
        if case .media(let packet) = message { return (message, Array(payload[0..<packet.payloadCount])) }
        return (message, [])
    }
}
