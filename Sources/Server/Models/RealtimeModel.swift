import AudioPipeline

/// A speech-to-speech model the relay can talk to (OpenAI Realtime, Azure Voice Live, the
/// embedded local agent): the seam between the call and the provider's wire protocol.
public protocol RealtimeModel: Sendable {
    /// A short name for logs and metrics, e.g. "local", "openai".
    var name: String { get }
    /// Where it is reached, for call records ("in-process" for the local agent).
    var endpoint: String { get }
    /// The audio format this provider is asked to speak and hear.
    var audioFormat: ModelAudioFormat { get }
    /// Opens a session; `delegate` receives the model's audio and events from then on.
    func connect(delegate: some RealtimeModelDelegate) async throws -> any RealtimeModelSession
    /// Whether a session is a socket on a SwiftNIO event loop (a call runs best on that loop).
    var opensSocket: Bool { get }
}

extension RealtimeModel {
    public var opensSocket: Bool { false }
}

/// One open conversation with a model.
public protocol RealtimeModelSession: AnyObject, Sendable {
    /// Caller audio in the model's format (20 ms at a time). The hot path: must not block.
    func appendAudio(_ audio: UnsafeRawBufferPointer)
    /// The caller heard only `audioEndMs` of `item` (barge-in): the model forgets the rest.
    func truncate(item: String, audioEndMs: Int)
    /// Stops the response being generated (the call sends it only while one is in progress).
    func cancelResponse()
    /// The caller pressed a key: the model is told as a user message and asked to respond.
    func sendDigit(_ digit: String)
    /// Earlier turns of this call (after a reconnect), oldest first: the new session carries on
    /// the conversation instead of starting over.
    func restore(history: [ConversationTurn])
    func close()
}

/// One turn of a conversation as text, for a new session to be given what was said before.
public struct ConversationTurn: Sendable, Equatable {
    public var speaker: ModelEvent.Speaker
    public var text: String

    public init(speaker: ModelEvent.Speaker, text: String) {
        self.speaker = speaker
        self.text = text
    }
}

/// What a model session reports back.
public protocol RealtimeModelDelegate: AnyObject, Sendable {
    /// Model audio for response item `item`, in the model's format. Always from one thread at a time.
    func modelAudio(item: String, _ audio: UnsafeRawBufferPointer)
    func modelEvent(_ event: ModelEvent)
    /// Returns when the call can buffer more model audio. Sessions await it before reading on, so
    /// a model sending much faster than real time is held back by TCP, not by dropped audio.
    func waitForPlaybackRoom() async

    /// Whether the call can buffer more model audio now: a socket reading on an event loop stops
    /// reading while this is false, so a fast model is held back by TCP, not by dropped audio.
    var hasPlaybackRoom: Bool { get }
}

extension RealtimeModelDelegate {
    /// Waits (checking every 20 ms, until cancelled) for ``hasPlaybackRoom``: a delegate that
    /// forwards only that, like the proxy of a session opened at the webhook, still holds its
    /// model back. (A default that returned at once let the local agent flood a pre-opened call's
    /// 640 ms playout ring, which dropped all but the first second of every reply.)
    public func waitForPlaybackRoom() async {
        while !hasPlaybackRoom, (try? await Task.sleep(for: .milliseconds(20))) != nil {}
    }

    public var hasPlaybackRoom: Bool { true }
}

/// The rare things a model says besides audio.
public enum ModelEvent: Sendable, Equatable {
    /// The model's own voice activity detection heard the caller start speaking.
    case speechStarted
    /// A response began (`response.created`): until ``responseEnded`` it may be cancelled.
    case responseStarted
    /// The model finished sending the audio of `item`.
    case audioDone(item: String)
    /// The response is over, completed or cancelled (`response.done`).
    case responseEnded
    case transcript(speaker: Speaker, text: String)
    case error(String)
    /// The model side closed, with the reason.
    case closed(reason: String)

    public enum Speaker: String, Sendable { case caller, agent }
}
