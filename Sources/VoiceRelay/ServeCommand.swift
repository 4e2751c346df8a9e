import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Server

/// `voice-relay serve`: runs the relay. Every option also reads the environment Fly sets.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the relay: Twilio webhook, media-stream WebSocket, health check."
    )

    @Option(help: "Address to listen on (env HOST).") var host: String = ProcessInfo.processInfo.environment["HOST"] ?? "0.0.0.0"
    @Option(help: "Port to listen on (env PORT).") var port: Int = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8080
    @Option(name: .customLong("public-host"), help: "Host Twilio reaches this relay at (env PUBLIC_HOST).")
    var publicHost: String? = ProcessInfo.processInfo.environment["PUBLIC_HOST"]
    @Option(help: "Model provider: local (the embedded demo agent).") var provider: String = ProcessInfo.processInfo.environment["MODEL_PROVIDER"] ?? "local"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw CommandFailure("unknown log level '\(logLevel)'") }
        guard provider == "local" else {
            throw CommandFailure("model provider '\(provider)' is not available yet; use 'local' (the embedded demo agent)")
        }
        var logger = Logger(label: "voice-relay")
        logger.logLevel = level
        let environment = ProcessInfo.processInfo.environment
        let configuration = RelayConfiguration(
            host: host, port: port, publicHost: publicHost, twilioAuthToken: environment["TWILIO_AUTH_TOKEN"],
            region: environment["FLY_REGION"] ?? environment["AI_REGION_HINT"] ?? "local")
        let server = RelayServer(configuration: configuration, model: LocalAgent(), logger: logger)
        try await server.makeApplication().runService()
    }
}
