import Wire

/// Every Media Streams message the relay could receive, through the same parser and payload
/// buffer the media-stream session uses.
func fuzzTwilioMessage(_ message: UnsafeRawBufferPointer) {
    let parser = MediaStreamParser(maximumMessageBytes: 64 * 1024)
    var payload = [UInt8](repeating: 0, count: 512)
    let streamSid = Array("MZ00000000000000000000000000000001".utf8)
    payload.withUnsafeMutableBytes { buffer in
        for sid in [nil, streamSid] {
            let result: MediaStreamMessage?
            if let sid {
                result = sid.withUnsafeBytes { try? parser.parse(message, payload: buffer, streamSid: $0) }
            } else {
                result = try? parser.parse(message, payload: buffer)
            }
            // What the session does next with a media message: a payload within the buffer.
            if case .media(let packet)? = result { precondition(packet.payloadCount <= buffer.count) }
            if case .mark(let name)? = result { _ = MarkName.parse(name) }
        }
    }
}
