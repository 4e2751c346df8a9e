#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore

/// Finds the file descriptor of this process's TCP connection between two addresses.
///
/// SwiftNIO does not hand out a channel's descriptor; moving an accepted connection to another
/// event loop (``UpgradeGate``) needs it, to register a duplicate there. Linux only (`/proc/self/fd`):
/// elsewhere it finds nothing and the connection stays where it was accepted. One pass over the
/// process's descriptors, two `getsockname`-style calls per socket: once per call, not per frame.
enum ConnectedSocketDescriptor {
    static func find(local: SocketAddress?, remote: SocketAddress?) -> CInt? {
        #if os(Linux)
        guard let local, let remote,
              let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        for entry in entries {
            guard let descriptor = CInt(entry) else { continue }
            var status = stat()
            guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK else { continue }
            if matches(descriptor, getsockname, local), matches(descriptor, getpeername, remote) { return descriptor }
        }
        #endif
        return nil
    }

    private static func matches(_ descriptor: CInt, _ read: (CInt, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> CInt,
                                _ address: SocketAddress) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let read = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { read(descriptor, $0, &length) }
        }
        guard read == 0 else { return false }
        let family = storage.ss_family
        return withUnsafeBytes(of: &storage) { bytes in
            switch address {
            case .v4(let v4):
                guard family == sa_family_t(AF_INET) else { return false }
                let found = bytes.load(as: sockaddr_in.self)
                return found.sin_port == v4.address.sin_port && found.sin_addr.s_addr == v4.address.sin_addr.s_addr
            case .v6(let v6):
                guard family == sa_family_t(AF_INET6) else { return false }
                var found = bytes.load(as: sockaddr_in6.self)
                var wanted = v6.address
                return found.sin6_port == wanted.sin6_port && memcmp(&found.sin6_addr, &wanted.sin6_addr, MemoryLayout<in6_addr>.size) == 0
            case .unixDomainSocket:
                return false
            }
        }
    }
}
