import ArgumentParser

/// The `voice-relay` command line: parsing only; the work lives in the libraries.
@main
struct VoiceRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice-relay",
        abstract: "A media relay between Twilio Media Streams and speech-to-speech models.",
        subcommands: [ServeCommand.self, LoadCommand.self, SimulateModelCommand.self, DialCommand.self, CallsCommand.self, ConvertCommand.self, VADCommand.self]
    )
}
