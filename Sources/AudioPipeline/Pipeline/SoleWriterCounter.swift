import Synchronization

extension Atomic where Value == Int {
    /// Adds to a counter that one thread at a time writes (any thread may read it): a relaxed
    /// load and store instead of a locked read-modify-write. On the per-frame path the counter's
    /// cache line is usually cold (a thousand calls' state does not fit in cache), and a locked
    /// instruction waits for that line and holds back every load after it, where a plain store
    /// retires into the store buffer and the core runs on. Only for counters whose writers are
    /// serialized: a second concurrent writer would lose counts.
    @inline(__always)
    func addFromSoleWriter(_ amount: Int) {
        store(load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }
}
