import Atomics
import NIOCore
import NIOPosix
import Wire

/// A model service on 127.0.0.1 that speaks the OpenAI Realtime protocol, framed by hand on raw
/// NIO channels and served from one event-loop thread, so a relay's whole network path to a model
/// runs with no account. Its two voices:
///
/// - **local agent** (`voice-relay simulate-model`, the provider tests): the embedded
///   ``LocalAgent`` answers each utterance, streamed as `response.output_audio.delta`s faster than
///   real time; it answers `session.update` (pcm16 24 kHz or mu-law, GA or beta field names),
///   reports `input_audio_buffer.speech_started`, acknowledges `conversation.item.truncate` and
///   `response.cancel`, and answers anything else with an `error` event, as the real service does.
/// - **echo** (the load run's model): each `input_audio_buffer.append` is answered at once with a
///   delta carrying the same base64, copied, never decoded (the reference setup the Python bridges
///   are measured with); it stamps what it receives and sends in the call's ``CallTimeline``.
///
/// Faults can be injected (a dropped first connection, refused upgrades, every session dropped at once).
public final class SimulatedModel: Sendable {
    public enum Voice: Sendable { case localAgent, echo }

    /// Which names the server events carry: OpenAI's GA ones, or the beta ones Azure Voice Live uses.
    public enum EventNaming: Sendable { case ga, beta }

    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 0
        public var voice = Voice.localAgent
        public var eventNaming = EventNaming.ga
        /// A header every upgrade must carry (e.g. `api-key` for a Voice Live stand-in); others get no WebSocket.
        public var requiredHeader: (name: String, value: String)?
        /// Fault injection: the first connection hangs up after this many `input_audio_buffer.append`s.
        public var dropFirstConnectionAfterAppends: Int?
        /// Fault injection: upgrades beyond this many are refused (the model "stays down").
        public var maximumConnections: Int?
        /// Transcripts the local agent reports, as a real model with input transcription would: the
        /// caller's text when each reply starts and the agent's when its audio is done (`#n` appended).
        public var transcripts: (caller: String, agent: String)?

        public init(host: String = "127.0.0.1", port: Int = 0, voice: Voice = .localAgent, eventNaming: EventNaming = .ga,
                    requiredHeader: (name: String, value: String)? = nil, dropFirstConnectionAfterAppends: Int? = nil,
                    maximumConnections: Int? = nil, transcripts: (caller: String, agent: String)? = nil) {
            self.host = host
            self.port = port
            self.voice = voice
            self.eventNaming = eventNaming
            self.requiredHeader = requiredHeader
            self.dropFirstConnectionAfterAppends = dropFirstConnectionAfterAppends
            self.maximumConnections = maximumConnections
            self.transcripts = transcripts
        }
    }

    public let configuration: Configuration
    /// A load run's calls, matched to the connections that serve them.
    let binder = CallBinder()
    /// Whether a load run is timing frames now.
    let recording: ManagedAtomic<Bool>
    private let log = ModelLog()
    private let group: MultiThreadedEventLoopGroup
    private let statistics: NIOLoopBound<ModelStatistics>
    private let channel: any Channel

    public var port: Int { channel.localAddress?.port ?? 0 }
    let loop: any EventLoop

    /// Connections accepted so far.
    public var connections: Int { log.accepted.load(ordering: .relaxed) }
    /// Connections open now.
    public var openConnections: Int { log.open.load(ordering: .relaxed) }
    /// Every `conversation.item.truncate` received: the item and its `audio_end_ms`.
    public var truncations: [(item: String, audioEndMs: Int)] { log.truncations.withLock { $0 } }
    /// Every client event received other than audio appends, per connection (1-based), in order:
    /// `session.update`, `conversation.item.create`, `response.create`, `response.cancel`, ...
    public var clientEvents: [(connection: Int, event: String)] { log.events.withLock { $0 } }
    /// `error` events sent back (a client that sends what the real service refuses).
    public var errorsSent: Int { log.errors.withLock { $0 } }

    /// Starts serving on `configuration.host`:`configuration.port` (0: any free port, see ``port``).
    public static func start(_ configuration: Configuration = .init(), recording: ManagedAtomic<Bool> = ManagedAtomic(false)) async throws -> SimulatedModel {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let statistics = try await loop.submit { NIOLoopBound(ModelStatistics(), eventLoop: loop) }.get()
        do {
            return try await SimulatedModel(configuration, group: group, statistics: statistics, recording: recording)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private init(_ configuration: Configuration, group: MultiThreadedEventLoopGroup, statistics: NIOLoopBound<ModelStatistics>,
                 recording: ManagedAtomic<Bool>) async throws {
        self.configuration = configuration
        self.group = group
        self.statistics = statistics
        self.loop = group.next()
        self.recording = recording
        let log = self.log
        let binder = self.binder
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handshake = ServerHandshakeHandler { request in
                        guard request.path.hasPrefix("/v1/realtime") || request.path.hasPrefix("/voice-live/realtime") else { return nil }
                        if let required = configuration.requiredHeader, request.header(required.name) != required.value { return nil }
                        if let maximum = configuration.maximumConnections, log.accepted.load(ordering: .relaxed) >= maximum { return nil }
                        let number = log.accepted.wrappingIncrementThenLoad(ordering: .relaxed)
                        return SimulatedModelConnection(number: number, configuration: configuration, log: log, binder: binder,
                                                        statistics: statistics.value, recording: recording)
                    }
                    try channel.pipeline.syncOperations.addHandler(handshake)
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
    }

    /// Runs `body` while serving, then shuts down (also when `body` throws).
    public func serving<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            await shutdown()
            return value
        } catch {
            await shutdown()
            throw error
        }
    }

    /// Serves until the process ends (`voice-relay simulate-model`).
    public func run() async throws {
        try await channel.closeFuture.get()
    }

    public func shutdown() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// Fault injection: closes every model session at once (1001, going away), as a model
    /// service restarting would. Returns how many were open.
    func dropAllSessions() async throws -> Int {
        let statistics = self.statistics
        return try await loop.submit {
            let open = statistics.value.connections
            statistics.value.connections.removeAll()
            statistics.value.drops += open.count
            for channel in open.values {
                var frames = WebSocketFrameWriter.server
                channel.writeAndFlush(frames.close(code: 1001, allocator: channel.allocator)).whenComplete { _ in  // going away
                    channel.close(promise: nil)
                }
            }
            return open.count
        }.get()
    }

    /// What a load run's stand-in saw, read on its own thread.
    func snapshot() async throws -> ModelStatistics.Snapshot {
        let statistics = self.statistics
        return try await loop.submit { statistics.value.snapshot() }.get()
    }
}
