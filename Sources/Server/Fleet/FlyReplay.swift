import HTTPTypes

/// Fly.io's dynamic request routing headers.
///
/// Answering with `fly-replay: region=fra` makes Fly's proxy send the original request to a
/// Machine in `fra` (our status and body are dropped); the replayed request carries
/// `fly-replay-src`, which is how a request that was already bounced is recognised.
enum FlyReplay {
    static let replayHeader = HTTPField.Name("fly-replay")!
    static let sourceHeader = HTTPField.Name("fly-replay-src")!

    /// `region=fra;state=model-down`: `state` reaches the target in `fly-replay-src`, for its logs.
    static func value(region: String, reason: String) -> String {
        "region=\(region);state=\(reason)"
    }

    static func wasReplayed(_ fields: HTTPFields) -> Bool {
        fields[sourceHeader] != nil
    }
}
