/// Splits an Ogg byte stream into the packets of its first logical stream, checking each
/// page's capture pattern, version and CRC.
struct OggPacketReader {
    struct Packet {
        var bytes: [UInt8]
        /// The granule position of the page the packet ended on, if it was the last packet
        /// completed there (Ogg stamps only that one); -1 otherwise.
        var granulePosition: Int64
        var isEndOfStream: Bool
    }

    static func packets(in data: [UInt8]) throws(OggError) -> [Packet] {
        var packets: [Packet] = []
        var partial: [UInt8] = []
        var offset = 0
        var serial: UInt32?
        while offset < data.count {
            guard data.count - offset >= 27 else { throw .truncatedPage(offset: offset) }
            guard data[offset..<offset + 4].elementsEqual("OggS".utf8) else { throw .missingCapturePattern(offset: offset) }
            guard data[offset + 4] == 0 else { throw .unsupportedVersion(Int(data[offset + 4])) }
            let headerType = data[offset + 5]
            let granule = Int64(bitPattern: readLittleEndian(data, offset + 6, as: UInt64.self))
            let pageSerial = readLittleEndian(data, offset + 14, as: UInt32.self)
            let sequence = readLittleEndian(data, offset + 18, as: UInt32.self)
            let storedCRC = readLittleEndian(data, offset + 22, as: UInt32.self)
            let segmentCount = Int(data[offset + 26])
            let headerLength = 27 + segmentCount
            guard data.count - offset >= headerLength else { throw .truncatedPage(offset: offset) }
            let lacing = data[offset + 27..<offset + headerLength]
            let bodyLength = lacing.reduce(0) { $0 + Int($1) }
            let pageLength = headerLength + bodyLength
            guard data.count - offset >= pageLength else { throw .truncatedPage(offset: offset) }

            var page = Array(data[offset..<offset + pageLength])
            for index in 22..<26 { page[index] = 0 }
            guard page.withUnsafeBytes({ OggCRC.checksum($0) }) == storedCRC else {
                throw .checksumMismatch(pageSequence: sequence)
            }
            defer { offset += pageLength }
            if serial == nil { serial = pageSerial }
            // Only the first logical stream is read (Ogg Opus files have one).
            guard pageSerial == serial else { continue }
            if headerType & 0x01 == 0 { partial.removeAll() }

            var bodyOffset = offset + headerLength
            let completedBefore = packets.count
            for value in lacing {
                partial.append(contentsOf: data[bodyOffset..<bodyOffset + Int(value)])
                bodyOffset += Int(value)
                if value < 255 {
                    packets.append(Packet(bytes: partial, granulePosition: -1, isEndOfStream: false))
                    partial.removeAll()
                }
            }
            if packets.count > completedBefore {
                packets[packets.count - 1].granulePosition = granule
                packets[packets.count - 1].isEndOfStream = headerType & 0x04 != 0
            }
        }
        return packets
    }

    private static func readLittleEndian<T: FixedWidthInteger>(_ data: [UInt8], _ offset: Int, as: T.Type) -> T {
        var value: T = 0
        for index in (0..<MemoryLayout<T>.size).reversed() {
            value = value << 8 | T(data[offset + index])
        }
        return value
    }
}
