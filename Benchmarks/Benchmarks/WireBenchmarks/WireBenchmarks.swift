import Benchmark
import Foundation
import NIOCore
import Wire

/// The Twilio wire format per 20 ms frame: parsing a `media` message (with its base64 payload)
/// and writing one, next to Foundation's JSONSerialization + Data(base64Encoded:) doing the same.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(2)
    )

    let audio: [UInt8] = (0..<160).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let sid = "MZ18ad3ab5a668481ce02b83e7395059f0"
    let message = Array(#"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"2","timestamp":"40","payload":"\#(Data(audio).base64EncodedString())"},"streamSid":"\#(sid)"}"#.utf8)
    let sidBytes = Array(sid.utf8)

    Benchmark("parse a Twilio media message (20 ms): MediaStreamParser") { benchmark in
        let parser = MediaStreamParser()
        var payload = [UInt8](repeating: 0, count: 512)
        for _ in benchmark.scaledIterations {
            let parsed = message.withUnsafeBytes { message in
                payload.withUnsafeMutableBytes { payload in
                    sidBytes.withUnsafeBytes { try? parser.parse(message, payload: payload, streamSid: $0) }
                }
            }
            blackHole(parsed)
        }
    }

    Benchmark("parse a Twilio media message (20 ms): JSONSerialization + Data(base64Encoded:)") { benchmark in
        for _ in benchmark.scaledIterations {
            let object = try JSONSerialization.jsonObject(with: Data(message)) as! [String: Any]
            let media = object["media"] as! [String: Any]
            blackHole(Data(base64Encoded: media["payload"] as! String))
            blackHole(Int(media["chunk"] as! String))
        }
    }

    Benchmark("write media + mark frames (20 ms): MediaStreamWriter") { benchmark in
        let writer = try MediaStreamWriter(streamSid: sid)
        // One buffer reused as the relay reuses its thread's (ThreadWriteBuffer).
        var frames = ByteBufferAllocator().buffer(capacity: 1024)
        for _ in benchmark.scaledIterations {
            frames.clear()
            audio.withUnsafeBytes { writer.appendFrame(.media(payload: $0), to: &frames) }
            writer.appendFrame(.mark(item: 7, offsetMs: 1200), to: &frames)
            blackHole(frames.readableBytes)
        }
    }
}
