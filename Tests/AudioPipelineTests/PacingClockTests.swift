import AudioPipeline
import Synchronization
import Testing

@Suite struct PacingClockTests {
    /// Counts its ticks and asks for `asksLeft` more from inside its own tick.
    final class Member: PacedOutput {
        let ticks = Atomic<Int>(0)
        let asksLeft: Atomic<Int>
        let clock: PacingClock

        init(clock: PacingClock, asks: Int) {
            self.clock = clock
            self.asksLeft = Atomic(asks)
        }

        func tick(now: UInt64) {
            ticks.add(1, ordering: .relaxed)
            if asksLeft.subtract(1, ordering: .relaxed).newValue >= 0 { clock.wake(self) }
        }
    }

    /// Waits (at most two seconds) until `condition` holds, then a few more periods so that any
    /// extra tick would have come.
    static func settle(_ clock: PacingClock, until condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: clock.period * 5)
    }

    @Test func aMemberIsTickedOnJoiningAndThenOnlyWhenItAsked() async throws {
        let clock = PacingClock(period: .milliseconds(5))
        let asking = Member(clock: clock, asks: 3)
        let quiet = Member(clock: clock, asks: 0)
        clock.register(asking)
        clock.register(quiet)
        try await Self.settle(clock) { asking.ticks.load(ordering: .relaxed) >= 4 }
        // The tick every member gets on joining, then one per request made inside a tick.
        #expect(asking.ticks.load(ordering: .relaxed) == 4)
        #expect(quiet.ticks.load(ordering: .relaxed) == 1)
        clock.wake(quiet)
        try await Self.settle(clock) { quiet.ticks.load(ordering: .relaxed) >= 2 }
        #expect(quiet.ticks.load(ordering: .relaxed) == 2)
        clock.unregister(asking)
        clock.unregister(quiet)
    }

    @Test func aMemberThatLeftIsNotTickedForWhatItAskedBefore() async throws {
        let clock = PacingClock(period: .milliseconds(5))
        let member = Member(clock: clock, asks: 0)
        clock.register(member)
        try await Self.settle(clock) { member.ticks.load(ordering: .relaxed) >= 1 }
        #expect(member.ticks.load(ordering: .relaxed) == 1)
        // Asking and leaving before the next tick: unregister's promise (no tick after it returns) wins.
        clock.wake(member)
        clock.unregister(member)
        try await Task.sleep(for: clock.period * 5)
        #expect(member.ticks.load(ordering: .relaxed) == 1)
        #expect(clock.memberCount == 0)
    }
}
