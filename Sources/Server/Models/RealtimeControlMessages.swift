import Foundation

/// The rare client events of a Realtime-style socket, written with `JSONEncoder` (text is
/// escaped by it, never by hand). `assistantTextType` is the one place the dialects differ for
/// these events: OpenAI's GA interface calls an assistant message's text `output_text`, the beta
/// interface (and Azure Voice Live, which follows it) `text`.
struct RealtimeControlMessages: Sendable {
    var assistantTextType: String

    static let openAI = RealtimeControlMessages(assistantTextType: "output_text")
    static let voiceLive = RealtimeControlMessages(assistantTextType: "text")

    private struct Content: Encodable {
        var type: String
        var text: String
    }

    private struct Message: Encodable {
        var type = "message"
        var role: String
        var content: [Content]
    }

    private struct ItemCreate: Encodable {
        var type = "conversation.item.create"
        var item: Message
    }

    private struct Truncate: Encodable {
        var type = "conversation.item.truncate"
        var item_id: String
        var content_index = 0
        var audio_end_ms: Int
    }

    static let cancelResponse = #"{"type":"response.cancel"}"#
    static let createResponse = #"{"type":"response.create"}"#

    func truncate(item: String, audioEndMs: Int) -> String {
        Self.encode(Truncate(item_id: item, audio_end_ms: audioEndMs))
    }

    /// A user message (what the caller said or did) or an assistant one (what the agent said).
    func message(_ turn: ConversationTurn) -> String {
        let content = turn.speaker == .caller ? Content(type: "input_text", text: turn.text)
            : Content(type: assistantTextType, text: turn.text)
        return Self.encode(ItemCreate(item: Message(role: turn.speaker == .caller ? "user" : "assistant", content: [content])))
    }

    /// What a key press tells the model: a user message naming the key.
    static func digitText(_ digit: String) -> String {
        "[The caller pressed the key \(digit) on the phone keypad.]"
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
