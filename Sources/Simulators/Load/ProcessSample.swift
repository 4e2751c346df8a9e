import Foundation

/// CPU time and resident memory of a process, from `/proc/<pid>/stat` and `/proc/<pid>/statm`.
public struct ProcessSample: Sendable {
    public var cpuSeconds: Double
    /// The part of ``cpuSeconds`` spent in the kernel (system calls, loopback delivery).
    public var kernelSeconds: Double
    public var residentBytes: Int
    public var at: ContinuousClock.Instant

    public static func read(pid: Int32) -> ProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8),
              let afterName = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        let pages = statm.split(separator: " ")
        guard fields.count > 13, pages.count > 1, let user = Double(fields[11]), let system = Double(fields[12]),
              let resident = Int(pages[1]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessSample(cpuSeconds: (user + system) / ticks, kernelSeconds: system / ticks, residentBytes: resident * Int(sysconf(Int32(_SC_PAGESIZE))),
                             at: .now)
    }
}
