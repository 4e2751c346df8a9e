import Foundation

/// The committed recording of a busy room (`Tests/Fixtures/babble`: five talkers, 8 kHz), read
/// by the VAD tests, the call tests and the VAD benchmark alike.
public enum BusyRoom {
    /// The room's samples, -1...1.
    public static func samples() throws -> [Float] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/babble/room-8k.s16le")
        return try Data(contentsOf: file).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
            .map { Float(Int16(littleEndian: $0)) / 32768 }
    }
}
