import Foundation
import NIOCore
import Server
import Synchronization
import Wire

/// Where the simulated model's local agent speaks: each of its events becomes the Realtime server
/// event a real model sends, written on the connection's event loop in the order the agent made
/// them. The agent streams a reply only as fast as the client reads it (a relay that stops reading
/// fills the socket, and the agent waits for room, as a real model is held back by TCP).
final class AgentVoiceOutput: RealtimeModelDelegate {
    private let connection: NIOLoopBound<SimulatedModelConnection>
    private let channel: any Channel
    private let audioDelta: String
    private let audioDone: String
    private let agentTranscriptDone: String
    private let transcripts: (caller: String, agent: String)?
    private let replies = Mutex(0)
    private let inProgress = Atomic<Bool>(false)

    init(connection: NIOLoopBound<SimulatedModelConnection>, channel: any Channel, naming: SimulatedModel.EventNaming,
         transcripts: (caller: String, agent: String)?) {
        self.connection = connection
        self.channel = channel
        self.audioDelta = naming == .ga ? "response.output_audio.delta" : "response.audio.delta"
        self.audioDone = naming == .ga ? "response.output_audio.done" : "response.audio.done"
        self.agentTranscriptDone = naming == .ga ? "response.output_audio_transcript.done" : "response.audio_transcript.done"
        self.transcripts = transcripts
    }

    /// Between `response.created` and `response.done`.
    var responseInProgress: Bool { inProgress.load(ordering: .acquiring) }

    var hasPlaybackRoom: Bool { channel.isWritable }

    func modelAudio(item: String, _ audio: UnsafeRawBufferPointer) {
        let event = RealtimeMessageWriter.outputAudioDelta(type: audioDelta, item: item, audio)
        let connection = self.connection
        channel.eventLoop.execute { connection.value.send(event) }
    }

    func modelEvent(_ event: ModelEvent) {
        var texts: [String] = []
        switch event {
        case .speechStarted:
            texts.append(#"{"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"item_input"}"#)
        case .responseStarted:
            inProgress.store(true, ordering: .releasing)
            let number = replies.withLock { count -> Int in
                count += 1
                return count
            }
            texts.append(#"{"type":"response.created","response":{"id":"resp_\#(number)","status":"in_progress"}}"#)
            if let transcripts {
                texts.append(#"{"type":"conversation.item.input_audio_transcription.completed","item_id":"item_input_\#(number)","content_index":0,"transcript":\#(Self.json("\(transcripts.caller) #\(number)"))}"#)
            }
        case .audioDone(let item):
            texts.append(#"{"type":"\#(audioDone)","item_id":"\#(item)","output_index":0,"content_index":0}"#)
            if let transcripts {
                let number = replies.withLock { $0 }
                texts.append(#"{"type":"\#(agentTranscriptDone)","item_id":"\#(item)","output_index":0,"content_index":0,"transcript":\#(Self.json("\(transcripts.agent) #\(number)"))}"#)
            }
        case .responseEnded:
            inProgress.store(false, ordering: .releasing)
            texts.append(#"{"type":"response.done","response":{"status":"completed"}}"#)
        case .transcript, .error, .closed:
            break
        }
        guard !texts.isEmpty else { return }
        let connection = self.connection
        channel.eventLoop.execute { for text in texts { connection.value.send(text) } }
    }

    /// A JSON string literal in ASCII, as Python's `json.dumps` writes by default: every other
    /// character as `\uXXXX` (a surrogate pair beyond the BMP), so readers meet the escapes.
    static func json(_ text: String) -> String {
        var literal = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: literal += "\\\""
            case 0x5C: literal += "\\\\"
            case 0x0A: literal += "\\n"
            case 0x20..<0x7F: literal.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: literal += String(format: "\\u%04x", unit)
            }
        }
        return literal + "\""
    }
}
