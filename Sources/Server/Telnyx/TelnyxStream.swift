import Wire

/// Telnyx media streaming in bidirectional RTP mode: Twilio's events under snake_case names,
/// agent audio sent back as `media` in the stream's codec, marks echoed when played.
struct TelnyxStream: CarrierStream {
    let reader: TelnyxStreamParser

    init(maximumMessageBytes: Int) {
        reader = TelnyxStreamParser(maximumMessageBytes: maximumMessageBytes)
    }

    var name: String { "telnyx" }
    var sendsStop: Bool { true }

    func writer(for start: MediaStreamStart) throws(MediaStreamClosure) -> TelnyxStreamWriter {
        TelnyxStreamWriter()
    }
}
