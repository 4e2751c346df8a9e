import Foundation

/// The Call Control Object the answer webhook returns: one `connect` to a WebSocket endpoint,
/// whose `headers` come back flattened in the stream's `websocket:connected` message.
struct VonageNCCO: Encodable {
    struct Connect: Encodable {
        var action = "connect"
        var endpoint: [Endpoint]
    }

    struct Endpoint: Encodable {
        var type = "websocket"
        var uri: String
        var contentType: String
        var headers: [String: String]

        enum CodingKeys: String, CodingKey {
            case type, uri, headers
            case contentType = "content-type"
        }
    }

    var actions: [Connect]

    init(streamURL: String, contentType: String, headers: [String: String]) {
        actions = [Connect(endpoint: [Endpoint(uri: streamURL, contentType: contentType, headers: headers)])]
    }

    func encode(to encoder: any Encoder) throws {
        try actions.encode(to: encoder)
    }

    /// The NCCO as JSON (keys sorted: the same call answers the same bytes).
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}
