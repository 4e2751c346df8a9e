import Wire

/// Twilio Media Streams.
struct TwilioStream: CarrierStream {
    let reader: MediaStreamParser

    init(maximumMessageBytes: Int) {
        reader = MediaStreamParser(maximumMessageBytes: maximumMessageBytes)
    }

    var name: String { "twilio" }
    var sendsStop: Bool { true }

    func writer(for start: MediaStreamStart) throws(MediaStreamClosure) -> MediaStreamWriter {
        guard let writer = try? MediaStreamWriter(streamSid: start.streamSid) else {
            throw MediaStreamClosure(code: .policyViolation, reason: "streamSid is not alphanumeric")
        }
        return writer
    }
}
