/// The fields of a Vonage WebSocket text message, in either direction, taken in one pass by
/// ``JSONScanner`` as byte ranges. Vonage's events (`websocket:connected`, `websocket:dtmf`, ...)
/// and the relay's commands (`action`: `clear`, `notify`) name no stream: the socket is the call.
package struct VonageStreamFields: CarrierMessageFields {
    package init() {}

    package var event: JSONScanner.StringValue?
    package var action: JSONScanner.StringValue?
    package var digit: JSONScanner.StringValue?
    /// `payload.mark` of a `notify` and of its `websocket:notify` echo: the relay's mark name.
    package var markName: JSONScanner.StringValue?
    package var streamId: JSONScanner.StringValue? { nil }

    package mutating func read(_ key: JSONScanner.StringValue, from scanner: inout JSONScanner) throws(JSONScanner.Failure) {
        if scanner.matches(key, "event") {
            event = try scanner.readString()
        } else if scanner.matches(key, "action") {
            action = try scanner.readString()
        } else if scanner.matches(key, "digit") {
            digit = try scanner.readString()
        } else if scanner.matches(key, "payload"), scanner.peek() == UInt8(ascii: "{") {
            try scanner.readObject(depth: 1) { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                if scanner.matches(key, "mark") { markName = try scanner.readString() } else { try scanner.skipValue(depth: 2) }
            }
        } else {
            try scanner.skipValue(depth: 1)
        }
    }
}
