/// The fields of a Media Streams message, in either direction (Twilio's events and the relay's
/// `media`/`mark`/`clear` share their shapes), wherever they sit in the message, taken in one
/// pass by ``JSONScanner`` as byte ranges. The relay's parser and the simulated callers read
/// messages through it.
package struct MediaStreamFields: CarrierMessageFields {
    package init() {}

    package var event: JSONScanner.StringValue?
    package var streamSid: JSONScanner.StringValue?
    package var streamId: JSONScanner.StringValue? { streamSid }
    package var payload: JSONScanner.StringValue?
    package var chunk: UInt64?
    package var timestamp: UInt64?
    package var inboundTrack = true
    package var markName: JSONScanner.StringValue?
    package var dtmfDigit: JSONScanner.StringValue?

    package mutating func read(_ key: JSONScanner.StringValue, from scanner: inout JSONScanner) throws(JSONScanner.Failure) {
        if scanner.matches(key, "event") {
            event = try scanner.readString()
        } else if scanner.matches(key, "streamSid") {
            streamSid = try scanner.readString()
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
        } else {
            try scanner.skipValue(depth: 1)
        }
    }
}
