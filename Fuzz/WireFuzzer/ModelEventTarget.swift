import Wire

/// Every event a model could send, through the scan and the audio-delta decoding the model
/// socket's reader does.
func fuzzModelEvent(_ message: UnsafeRawBufferPointer) {
    guard let (fields, scanner) = try? RealtimeEventFields.scan(message), let type = fields.type else { return }
    if RealtimeEventFields.is(type, in: scanner, "response.output_audio.delta", "response.audio.delta"), let delta = fields.data {
        var decoded = 0
        _ = try? Base64.decodeInChunks(scanner.slice(delta)) { chunk in
            precondition(chunk.count <= Base64.chunkBytes)
            decoded += chunk.count
        }
        precondition(decoded <= delta.range.count / 4 * 3)
    }
    for value in [fields.itemID, fields.transcript, fields.errorMessage] {
        if let value { _ = String(decoding: scanner.slice(value), as: UTF8.self) }
    }
    _ = fields.audioEndMs
}
