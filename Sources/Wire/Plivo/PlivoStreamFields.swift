/// The fields of a Plivo Audio Streaming message, in either direction, taken in one pass by
/// ``JSONScanner`` as byte ranges. Plivo names the stream `streamId`, gives `chunk` as a number
/// and `timestamp` as wall-clock milliseconds, and puts a checkpoint's `name` at the top level.
package struct PlivoStreamFields: CarrierMessageFields {
    package init() {}

    package var event: JSONScanner.StringValue?
    package var streamId: JSONScanner.StringValue?
    package var payload: JSONScanner.StringValue?
    package var chunk: UInt64?
    package var inboundTrack = true
    package var name: JSONScanner.StringValue?
    package var dtmfDigit: JSONScanner.StringValue?

    package mutating func read(_ key: JSONScanner.StringValue, from scanner: inout JSONScanner) throws(JSONScanner.Failure) {
        if scanner.matches(key, "event") {
            event = try scanner.readString()
        } else if scanner.matches(key, "streamId") {
            streamId = try scanner.readString()
        } else if scanner.matches(key, "name") {
            name = try scanner.readString()
        } else if scanner.matches(key, "media") {
            try scanner.readObject(depth: 1) { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                if scanner.matches(key, "payload") {
                    payload = try scanner.readString()
                } else if scanner.matches(key, "chunk") {
                    chunk = try scanner.readUnsignedInteger()
                } else if scanner.matches(key, "track") {
                    inboundTrack = scanner.matches(try scanner.readString(), "inbound")
                } else {
                    try scanner.skipValue(depth: 2)
                }
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
