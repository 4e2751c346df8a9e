/// What a call does with its pipeline besides delivering frames, whatever the caller's decoder:
/// the call picks the decoder when the carrier's `start` names the encoding, and keeps only this
/// (frames go in through a closure made where the decoder's type is known, so the per-frame path
/// stays specialized).
public protocol CallPipelineControl: AnyObject, Sendable {
    var counters: PipelineCounters { get }
    var outboundBacklogMs: Int { get }
    func makeModelAudioProducer() -> ModelAudioProducer
    func markEchoed(item: UInt32, offsetMs: UInt32)
    func requestFlush()
    func start(modelSink: some ModelAudioSink, callerSink: some CallerAudioSink,
               events handler: @escaping @Sendable (PipelineEvent) -> Void) async
    func stop() async
}

extension CallPipeline: CallPipelineControl where Decoder: ~Copyable {}
