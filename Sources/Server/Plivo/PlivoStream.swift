import AudioPipeline
import Wire

/// Plivo's bidirectional Audio Streams: JSON like Twilio's under other names, no `stop` (Plivo
/// closes the socket when the call ends), and agent audio sent back in the stream's own format.
struct PlivoStream: CarrierStream {
    let reader: PlivoStreamParser

    init(maximumMessageBytes: Int) {
        reader = PlivoStreamParser(maximumMessageBytes: maximumMessageBytes)
    }

    var name: String { "plivo" }
    var sendsStop: Bool { false }

    /// `audio/x-mulaw` at 8 kHz, or `audio/x-l16` at 8 or 16 kHz.
    func encoding(of format: MediaStreamStart.MediaFormat) -> CallerAudioEncoding? {
        if format.encoding == "audio/x-l16", format.sampleRate == 8000 || format.sampleRate == 16000 { return .linear16(sampleRate: format.sampleRate) }
        return format.muLawEncoding
    }

    /// `extraHeaders` carry only letters and digits: the tenant's `+` was dropped on the way.
    func normalized(_ start: MediaStreamStart) -> MediaStreamStart {
        var start = start
        if let tenant = start.customParameters["tenant"] { start.customParameters["tenant"] = CallAdmission.e164(tenant) }
        return start
    }

    func writer(for start: MediaStreamStart) throws(MediaStreamClosure) -> PlivoStreamWriter {
        let format = start.mediaFormat
        guard let writer = try? PlivoStreamWriter(streamId: start.streamSid, contentType: format.encoding, sampleRate: format.sampleRate) else {
            throw MediaStreamClosure(code: .policyViolation, reason: "streamId is not a plain identifier")
        }
        return writer
    }
}
