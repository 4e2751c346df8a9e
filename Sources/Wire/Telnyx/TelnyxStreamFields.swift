/// The fields of a Telnyx media-streaming message, taken in one pass by ``JSONScanner`` as byte
/// ranges: Twilio's shapes under snake_case names (`stream_id`, `sequence_number`), numbers
/// given as strings or numbers.
package struct TelnyxStreamFields: CarrierMessageFields {
    package init() {}

    package var event: JSONScanner.StringValue?
    package var streamId: JSONScanner.StringValue?
    package var payload: JSONScanner.StringValue?
    package var chunk: UInt64?
    package var timestamp: UInt64?
    package var sequenceNumber: UInt64?
    package var inboundTrack = true
    package var markName: JSONScanner.StringValue?
    package var dtmfDigit: JSONScanner.StringValue?
    /// An `error` frame's `payload.detail` (or `title`).
    package var errorDetail: JSONScanner.StringValue?

    package mutating func read(_ key: JSONScanner.StringValue, from scanner: inout JSONScanner) throws(JSONScanner.Failure) {
        if scanner.matches(key, "event") {
            event = try scanner.readString()
        } else if scanner.matches(key, "stream_id") {
            streamId = try scanner.readString()
        } else if scanner.matches(key, "sequence_number") {
            sequenceNumber = try scanner.readUnsignedInteger()
        } else if scanner.matches(key, "media") {
            try scanner.readObject(depth: 1) { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                if scanner.matches(key, "payload") {
                    payload = try scanner.readString()
                } else if scanner.matches(key, "chunk") {
                    chunk = try scanner.readUnsignedInteger()
                } else if scanner.matches(key, "timestamp") {
                    timestamp = try scanner.readUnsignedInteger()
                } else if scanner.matches(key, "track") {
                    let track = try scanner.readString()
                    inboundTrack = scanner.matches(track, "inbound") || scanner.matches(track, "inbound_track")
                } else {
                    try scanner.skipValue(depth: 2)
                }
            }
        } else if scanner.matches(key, "mark") {
            try scanner.readObject(depth: 1) { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                if scanner.matches(key, "name") { markName = try scanner.readString() } else { try scanner.skipValue(depth: 2) }
            }
        } else if scanner.matches(key, "dtmf") {
            try scanner.readObject(depth: 1) { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                if scanner.matches(key, "digit") { dtmfDigit = try scanner.readString() } else { try scanner.skipValue(depth: 2) }
            }
        } else if scanner.matches(key, "payload"), scanner.peek() == UInt8(ascii: "{") {
            try scanner.readObject(depth: 1) { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                if scanner.matches(key, "detail") || (errorDetail == nil && scanner.matches(key, "title")) {
                    errorDetail = try scanner.readString()
                } else {
                    try scanner.skipValue(depth: 2)
                }
            }
        } else {
            try scanner.skipValue(depth: 1)
        }
    }
}
