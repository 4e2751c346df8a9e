import AudioPipeline
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

    /// PCMU or PCMA at 8 kHz (Telnyx's L16 is big-endian and its Opus needs the Opus path: not yet).
    func encoding(of format: MediaStreamStart.MediaFormat) -> CallerAudioEncoding? {
        if format.encoding == "audio/x-alaw", format.sampleRate == 8000 { return .aLaw }
        return format.muLawEncoding
    }

    func writer(for start: MediaStreamStart) throws(MediaStreamClosure) -> TelnyxStreamWriter {
        TelnyxStreamWriter()
    }
}
