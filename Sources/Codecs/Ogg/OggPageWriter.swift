/// Packs packets of one logical stream into Ogg pages (RFC 3533).
///
/// Packets are laced into the open page and a page is closed when asked (``flush(granulePosition:)``)
/// or when its 255 lacing values are used up; a packet that does not fit continues on the next page.
struct OggPageWriter {
    let serialNumber: UInt32
    private(set) var output: [UInt8] = []
    private var sequenceNumber: UInt32 = 0
    private var lacing: [UInt8] = []
    private var body: [UInt8] = []
    private var continuesPacket = false
    private var isFirstPage = true
    /// Granule position of the last packet completed on the open page, or -1 if none.
    private var pageGranule: Int64 = -1

    init(serialNumber: UInt32) {
        self.serialNumber = serialNumber
    }

    /// Adds a packet ending at `granulePosition`.
    mutating func append(packet: [UInt8], granulePosition: Int64) {
        var offset = 0
        while true {
            if lacing.count == 255 { closePage(isLast: false) }
            let chunk = min(255, packet.count - offset)
            lacing.append(UInt8(chunk))
            body.append(contentsOf: packet[offset..<offset + chunk])
            offset += chunk
            if chunk < 255 { break }
            // A 255 lacing value means the packet goes on, even when exactly consumed.
        }
        pageGranule = granulePosition
    }

    /// Closes the open page if it holds anything.
    mutating func flush(isLast: Bool = false) {
        if !lacing.isEmpty || isLast { closePage(isLast: isLast) }
    }

    private mutating func closePage(isLast: Bool) {
        var header: UInt8 = 0
        if continuesPacket { header |= 0x01 }
        if isFirstPage { header |= 0x02 }
        if isLast { header |= 0x04 }
        let pageStart = output.count
        output.append(contentsOf: Array("OggS".utf8))
        output.append(0)
        output.append(header)
        appendLittleEndian(UInt64(bitPattern: pageGranule))
        appendLittleEndian(serialNumber)
        appendLittleEndian(sequenceNumber)
        appendLittleEndian(UInt32(0))
        output.append(UInt8(lacing.count))
        output.append(contentsOf: lacing)
        output.append(contentsOf: body)
        let crc = output.withUnsafeBytes { OggCRC.checksum(UnsafeRawBufferPointer(rebasing: $0[pageStart...])) }
        withUnsafeBytes(of: crc.littleEndian) { bytes in
            for index in 0..<4 { output[pageStart + 22 + index] = bytes[index] }
        }
        continuesPacket = lacing.last == 255
        isFirstPage = false
        sequenceNumber += 1
        lacing.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
        pageGranule = -1
    }

    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
    }
}
