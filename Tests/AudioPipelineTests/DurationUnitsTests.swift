import AudioPipeline
import Testing

@Suite struct DurationUnitsTests {
    @Test func secondsAndTheirFractionBothCount() {
        let duration = Duration.seconds(2) + .microseconds(1_500)
        #expect(duration.wholeNanoseconds == 2_001_500_000)
        #expect(duration.wholeMilliseconds == 2_001)
        #expect(duration.fractionalMilliseconds == 2_001.5)
    }

    @Test func belowTheUnitTruncates() {
        #expect(Duration.nanoseconds(999_999).wholeMilliseconds == 0)
        #expect(Duration.nanoseconds(999_999).wholeNanoseconds == 999_999)
        #expect(Duration.milliseconds(60).wholeNanoseconds == 60_000_000)
    }

    @Test func aNegativeDurationIsNoNanosecondsButKeepsItsSignInMilliseconds() {
        let duration = Duration.milliseconds(-1_500)
        #expect(duration.wholeNanoseconds == 0)
        #expect(duration.wholeMilliseconds == -1_500)
        #expect(duration.fractionalMilliseconds == -1_500)
    }
}
