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

    /// PCMU or PCMA at 8 kHz, L16 (network byte order) at 8 or 16 kHz, Opus at 8, 16 or 24 kHz.
    func encoding(of format: MediaStreamStart.MediaFormat) -> CallerAudioEncoding? {
        if format.encoding == "audio/opus", [8000, 16000, 24000].contains(format.sampleRate) { return .opus(sampleRate: format.sampleRate) }
        if format.encoding == "audio/x-alaw", format.sampleRate == 8000 { return .aLaw }
        if format.encoding == "audio/L16", format.sampleRate == 8000 || format.sampleRate == 16000 {
            return .linear16BigEndian(sampleRate: format.sampleRate)
        }
        return format.muLawEncoding
    }

    func writer(for start: MediaStreamStart) throws(MediaStreamClosure) -> TelnyxStreamWriter {
        TelnyxStreamWriter()
    }
}
