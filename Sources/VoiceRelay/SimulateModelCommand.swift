import ArgumentParser
import Simulators

/// `voice-relay simulate-model --port P`: the local agent as an OpenAI-Realtime-compatible server.
struct SimulateModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-model",
        abstract: "Serve the embedded agent as an OpenAI-Realtime-compatible WebSocket (ws://HOST:PORT/v1/realtime)."
    )

    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 8081

    func run() async throws {
        let model = try await SimulatedModel.start(.init(host: host, port: port))
        print("simulated model listening on ws://\(host):\(model.port)/v1/realtime")
        try await model.run()
    }
}
