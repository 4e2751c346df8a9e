import Wire

/// A carrier's media-stream message through its reader, with and without a stream id to match,
/// then what the stream handler does next with the result.
func fuzzCarrierMessage(_ reader: some MediaStreamReader, streamId: String, _ message: UnsafeRawBufferPointer) {
    var payload = [UInt8](repeating: 0, count: 512)
    let id = Array(streamId.utf8)
    payload.withUnsafeMutableBytes { buffer in
        for matching in [false, true] {
            let result = id.withUnsafeBytes { try? reader.parse(message, payload: buffer, streamSid: matching ? $0 : nil) }
            // What the session does next with a media message: a payload within the buffer.
            if case .media(let packet)? = result { precondition(packet.payloadCount <= buffer.count) }
            if case .mark(let name)? = result { _ = MarkName.parse(name) }
        }
    }
}

func fuzzTwilioMessage(_ message: UnsafeRawBufferPointer) {
    fuzzCarrierMessage(MediaStreamParser(maximumMessageBytes: 64 * 1024), streamId: "MZ00000000000000000000000000000001", message)
}

func fuzzPlivoMessage(_ message: UnsafeRawBufferPointer) {
    fuzzCarrierMessage(PlivoStreamParser(maximumMessageBytes: 64 * 1024), streamId: "87654321-4321-4321-4321-cba987654321", message)
}

func fuzzTelnyxMessage(_ message: UnsafeRawBufferPointer) {
    fuzzCarrierMessage(TelnyxStreamParser(maximumMessageBytes: 64 * 1024), streamId: "32DE0DEA-53CB-4B21-89A4-9E1819C043BC", message)
}

func fuzzVonageMessage(_ message: UnsafeRawBufferPointer) {
    fuzzCarrierMessage(VonageStreamParser(maximumMessageBytes: 64 * 1024), streamId: "63f61863-4a51-4f6b-86e1-46edebcf9356", message)
}
