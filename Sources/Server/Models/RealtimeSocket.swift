import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOPosix

/// Why a model session could not be opened.
public struct ModelConnectionError: Error, CustomStringConvertible {
    public let description: String
}

/// Which event loop a call's model socket should use: the one its Twilio socket runs on, so the
/// call's audio never changes threads between the two (set around `connect` by the call).
enum ModelConnectionAffinity {
    @TaskLocal static var eventLoop: (any EventLoop)?
}

/// Where and how to open a Realtime-style model socket: the provider-specific part.
struct RealtimeSocket: Sendable {
    var url: String
    var headers: HTTPFields
    /// The provider's `session.update`, sent first.
    var sessionUpdate: String
    /// How the provider's rare client events are spelled.
    var messages: RealtimeControlMessages
    var setupTimeout: Duration
    var logger: Logger

    /// Opens a session on this socket; returns once the model confirmed it.
    func connect(delegate: some RealtimeModelDelegate) async throws -> any RealtimeModelSession {
        guard let endpoint = Endpoint(url) else { throw ModelConnectionError(description: "not a ws:// or wss:// URL: \(url)") }
        let loop = ModelConnectionAffinity.eventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        return try await RealtimeSocketSession.open(endpoint: endpoint, socket: self, delegate: delegate, on: loop)
    }

    /// The parts of a `ws://` or `wss://` URL a connection needs.
    struct Endpoint: Sendable {
        var secure: Bool
        var host: String
        var port: Int
        /// Path and query, as sent in the request line.
        var target: String

        init?(_ url: String) {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                  scheme == "ws" || scheme == "wss", let host = components.host, !host.isEmpty else { return nil }
            secure = scheme == "wss"
            self.host = host
            port = components.port ?? (secure ? 443 : 80)
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            target = path + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        }

        /// The Host header: the port only when it is not the scheme's default.
        var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
        }
    }
}
