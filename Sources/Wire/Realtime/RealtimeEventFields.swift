/// The fields the relay reads from OpenAI-Realtime-style events, in either direction, taken
/// from the bytes in one pass by ``JSONScanner``: audio (`delta` of the audio-delta events,
/// `audio` of `input_audio_buffer.append`) is base64-decoded a chunk at a time on the stack, so
/// the per-chunk path allocates nothing. Both GA and beta event names share these fields.
package struct RealtimeEventFields {
    package var type: JSONScanner.StringValue?
    package var itemID: JSONScanner.StringValue?
    /// `delta` or `audio`: a base64 string for audio events, text for transcript deltas.
    package var data: JSONScanner.StringValue?
    package var transcript: JSONScanner.StringValue?
    package var errorMessage: JSONScanner.StringValue?
    package var audioEndMs: UInt64?

    package static func scan(_ message: UnsafeRawBufferPointer) throws(JSONScanner.Failure) -> (RealtimeEventFields, JSONScanner) {
        var fields = RealtimeEventFields()
        var scanner = JSONScanner(message)
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
            if scanner.matches(key, "type") {
                fields.type = try scanner.readString()
            } else if scanner.matches(key, "item_id") {
                fields.itemID = try scanner.readString()
            } else if scanner.matches(key, "delta") || scanner.matches(key, "audio") {
                if scanner.peek() == UInt8(ascii: "\"") { fields.data = try scanner.readString() } else { try scanner.skipValue(depth: 1) }
            } else if scanner.matches(key, "transcript") {
                fields.transcript = try scanner.readString()
            } else if scanner.matches(key, "audio_end_ms") {
                fields.audioEndMs = try scanner.readUnsignedInteger()
            } else if scanner.matches(key, "error") {
                try scanner.readObject(depth: 1) { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                    if scanner.matches(key, "message") { fields.errorMessage = try scanner.readString() } else { try scanner.skipValue(depth: 2) }
                }
            } else {
                try scanner.skipValue(depth: 1)
            }
        }
        try scanner.expectEnd()
        return (fields, scanner)
    }

    /// Whether `type` is one of `names` (GA and beta spellings of one event).
    package static func `is`(_ type: JSONScanner.StringValue, in scanner: JSONScanner, _ names: StaticString...) -> Bool {
        names.contains { scanner.matches(type, $0) }
    }
}
