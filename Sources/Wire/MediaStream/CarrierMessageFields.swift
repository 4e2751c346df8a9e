/// The fields every carrier's JSON messages name: which event, which stream. Each carrier's
/// fields type reads its own keys in one pass (``JSONScanner``); what all of them do first is
/// here, once: refuse an oversized message, scan it, find its event, check its stream id.
package protocol CarrierMessageFields {
    init()
    /// Reads one top-level member.
    mutating func read(_ key: JSONScanner.StringValue, from scanner: inout JSONScanner) throws(JSONScanner.Failure)
    var event: JSONScanner.StringValue? { get }
    /// The stream id the message names, if any.
    var streamId: JSONScanner.StringValue? { get }
}

extension CarrierMessageFields {
    /// Reads a whole message, checking that nothing follows it.
    package static func scan(_ message: UnsafeRawBufferPointer) throws(JSONScanner.Failure) -> (Self, JSONScanner) {
        var fields = Self()
        var scanner = JSONScanner(message)
        try scanner.readObject { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
            try fields.read(key, from: &scanner)
        }
        try scanner.expectEnd()
        return (fields, scanner)
    }

    /// A message's fields and event, refused if it is over `limit` bytes, not one JSON object,
    /// without an event, or (when `streamSid` is given) naming another stream.
    package static func envelope(_ message: UnsafeRawBufferPointer, limit: Int, streamSid: UnsafeRawBufferPointer?)
        throws(MediaStreamProtocolError) -> (fields: Self, scanner: JSONScanner, event: JSONScanner.StringValue) {
        guard message.count <= limit else { throw .messageTooLarge(bytes: message.count, limit: limit) }
        let fields: Self
        let scanner: JSONScanner
        do {
            (fields, scanner) = try scan(message)
        } catch {
            throw .malformedJSON(error.description)
        }
        guard let event = fields.event else { throw .missingField("event") }
        if let streamSid, let id = fields.streamId {
            guard !id.hasEscapes, scanner.slice(id).elementsEqual(streamSid) else { throw .wrongStreamSid }
        }
        return (fields, scanner, event)
    }
}
