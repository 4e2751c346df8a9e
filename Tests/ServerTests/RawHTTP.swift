import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 exchange written byte for byte over a TCP socket to 127.0.0.1, for requests test
/// clients will not send as they are (WebSocket upgrades that should be refused).
enum RawHTTP {
    struct Response {
        var status: Int
        var head: String
        var body: String
        func header(_ name: String) -> String? {
            head.split(separator: "\r\n").dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
    }

    static func exchange(port: Int, _ request: String) async throws -> Response {
        try await onOwnThread {
            let descriptor = try RawHTTP.connectedSocket(port: port)
            defer { close(descriptor) }
            let bytes = Array(request.utf8)
            guard send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EIO) }
            // Read until the server closes (the refusals say `connection: close`) or 101 arrives.
            var received = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(descriptor, &chunk, chunk.count, 0)
                if count <= 0 { break }
                received += chunk[0..<count]
                if String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 101"), received.suffix(4) == Array("\r\n\r\n".utf8) { break }
            }
            let text = String(decoding: received, as: UTF8.self)
            let parts = text.components(separatedBy: "\r\n\r\n")
            let head = parts.first ?? ""
            let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            return Response(status: status, head: head, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
    }

    /// Runs blocking socket calls on a thread of their own. On the concurrency pool (two threads
    /// on two cores) a `recv` waiting seconds for a timeout blocks one of them, and with a
    /// second one blocked elsewhere (`swift test` runs suites in parallel) every task in the
    /// process stalls: the relay under test saw no message from its peers for seconds.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// A blocking TCP socket connected to 127.0.0.1:`port`, reads timing out after 5 s.
    static func connectedSocket(port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
        return descriptor
    }

    /// A WebSocket upgrade request for `path`, with extra header lines.
    static func upgrade(_ path: String, headers: [String] = []) -> String {
        (["GET \(path) HTTP/1.1", "Host: relay.example.com", "Upgrade: websocket", "Connection: Upgrade",
          "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="] + headers).joined(separator: "\r\n") + "\r\n\r\n"
    }
}
