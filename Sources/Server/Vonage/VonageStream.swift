import AudioPipeline
import Wire

/// A Vonage Voice API WebSocket: caller audio bare in binary frames (16-bit little-endian PCM, as
/// the NCCO's `content-type` says), events in text frames, agent audio sent back the same way. No
/// `stop`: Vonage closes the socket when the call ends.
struct VonageStream: CarrierStream {
    let reader: VonageStreamParser

    init(maximumMessageBytes: Int) {
        reader = VonageStreamParser(maximumMessageBytes: maximumMessageBytes)
    }

    var name: String { "vonage" }
    var sendsStop: Bool { false }
    var sendsAudioInBinaryFrames: Bool { true }

    /// `audio/l16` at 8 or 16 kHz.
    func encoding(of format: MediaStreamStart.MediaFormat) -> CallerAudioEncoding? {
        guard format.encoding == "audio/l16", format.sampleRate == 8000 || format.sampleRate == 16000 else { return nil }
        return .linear16(sampleRate: format.sampleRate)
    }

    func writer(for start: MediaStreamStart) throws(MediaStreamClosure) -> VonageStreamWriter {
        VonageStreamWriter()
    }
}
