#!/usr/bin/env python3
"""A numpy model of VoiceRelay's VAD, for trying decision rules before porting them to Swift.

`energy` mirrors `VoiceActivityDetector` (four band energies over minimum-statistics floors,
periodicity, CUSUM, lead-in, sensitivity and hangover by SNR) and scores what the Swift detector scores on the same set, to the
third decimal; `likelihood` is the next design to try: a mean log-likelihood ratio over six
narrower bands (WebRTC's band edges), whose onsets come earlier at low SNR; `energy-fixed-hangover` is
`energy` with the configured hangover at every SNR (the ninth session's detector); `gated` is `energy`
with a near-talker gate against background talkers (``BackgroundGate``), the design for babble.
Prints F1 and median onset per condition next to WebRTC's best mode, as scripts/measure/vad_accuracy.py.
Usage: scripts/measure/vad_model.py [--seed 1] [--rule energy|likelihood|energy-fixed-hangover|gated|both]
       [--backgrounds white,pink,babble,...]
Needs what scripts/measure/vad_accuracy.py needs.
"""
import argparse
import os
import sys
import tempfile

import numpy as np
from scipy.signal import lfilter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vad_accuracy as accuracy  # noqa: E402

RATE, FRAME = accuracy.RATE, accuracy.FRAME
WEBRTC_BANDS = ((80, 250), (250, 500), (500, 1000), (1000, 2000), (2000, 3000), (3000, 3800))
bandpass, highpass, powers = accuracy.bandpass, accuracy.highpass, accuracy.band_powers


def periodicity(signal):
    """PeriodicityMeter: peak normalized autocorrelation of the 200-1000 Hz band at 2 kHz, lags 5-25, 40-sample window."""
    band = lfilter(*bandpass(200, 1000), lfilter(*highpass(150), signal))[::4]
    scores = np.zeros(len(signal) // FRAME)
    for frame in range(len(scores)):
        end = (frame + 1) * 20
        window = band[max(0, end - 40):end]
        if end - 40 - 25 < 0 or window @ window == 0:
            continue
        energy = window @ window
        best = 0.0
        for lag in range(5, 26):
            lagged = band[end - 40 - lag:end - lag]
            cross = window @ lagged
            if cross > 0 and lagged @ lagged > 0:
                best = max(best, cross / np.sqrt(energy * (lagged @ lagged)))
        scores[frame] = best
    return scores


class Floors:
    """MinimumStatistics: the lowest level per feature over eight 200 ms sub-windows."""

    def __init__(self, features):
        self.windows = np.full((8, features), np.inf)
        self.current = np.full(features, np.inf)
        self.frames = self.window = 0

    def observe(self, levels):
        self.current = np.minimum(self.current, levels)
        self.frames += 1
        if self.frames == 20:
            self.windows[self.window] = self.current
            self.current[:] = np.inf
            self.frames, self.window = 0, (self.window + 1) % 8

    def floors(self):
        return np.minimum(self.current, self.windows.min(axis=0))


class Decider:
    """The detector's decision rules, fed one frame's statistics (one per feature) at a time.

    Speech-like: the largest statistic over `threshold` (x `hold` once on); starts after
    `onset_frames` in a row, on one frame `loud` x over, or when a feature's CUSUM (allowance
    `drift`, decision level `limit`, both per frame) passes; dated back over frames whose largest
    statistic still passed `lead_in`."""

    def __init__(self, frames, features, threshold, onset_frames=2, loud=1.2, hold=0.5, hangover=10, lead_in=1.5):
        self.threshold, self.onset_frames, self.loud, self.hold = threshold, onset_frames, loud, hold
        self.hangover, self.lead_in = hangover, lead_in
        self.decisions = np.zeros(frames, dtype=bool)
        self.detections, self.largest = [], np.full(frames, -np.inf)
        self.cusum, self.cusum_start = np.zeros(features), np.zeros(features, dtype=int)
        self.on, self.run, self.since, self.last_end, self.start = False, 0, None, -1, 0

    def step(self, frame, rises, audible=True, drift=2.0, limit=3.0):
        self.largest[frame] = rises.max()
        persistent, persistent_start = False, frame
        if frame > 0 and not self.on:
            for feature in range(len(rises)):
                if self.cusum[feature] == 0:
                    self.cusum_start[feature] = frame
                self.cusum[feature] = max(0.0, self.cusum[feature] + rises[feature] - drift)
                if self.cusum[feature] == 0:
                    self.cusum_start[feature] = frame + 1
                if self.cusum[feature] > limit:
                    persistent, persistent_start = True, min(persistent_start, self.cusum_start[feature])
        level = self.threshold * self.hold if self.on else self.threshold
        speech_like = audible and self.largest[frame] > level
        self.run = self.run + 1 if speech_like else 0
        if speech_like:
            self.since = 0
        elif self.since is not None:
            self.since += 1
        if not self.on and ((speech_like and (self.run >= self.onset_frames or self.largest[frame] > self.loud * level))
                            or persistent):
            self.on, self.since = True, 0
            self.cusum[:] = 0
            start = max(min(frame - self.run + 1 if speech_like else frame, persistent_start), self.last_end + 1)
            while start > max(self.last_end + 1, frame - 9) and self.largest[start - 1] > self.lead_in:
                start -= 1
            self.start = start
            self.detections.append((frame + 1) * 10)
        elif self.on and self.since > self.hangover:
            self.on, self.last_end = False, frame
            self.decisions[self.start:frame + 1] = True

    def finish(self):
        if self.on:
            self.decisions[self.start:] = True
        return self.decisions, self.detections


def sensitivity(speech_over_noise):
    """VoiceActivityDetector.Sensitivity: (smoothing, CUSUM drift) by recent speech's level over the floor (dB)."""
    if speech_over_noise is None:
        return 0.3, 2.0

    def blend(lowest, low, high, clean):
        return lowest + min(1.0, max(0.0, (speech_over_noise - low) / (high - low))) * (clean - lowest)
    return blend(0.1, 9, 12, 0.3), blend(0.75, 15, 18.5, 2.0)


def hangover_frames(speech_over_noise):
    """Sensitivity.hangoverFraction: the hangover shortening from 10 frames to 6 between 24 and 30 dB."""
    if speech_over_noise is None:
        return 10
    return int(round(10 - min(1.0, max(0.0, (speech_over_noise - 24) / 6)) * 4))


class BackgroundGate:
    """The near-talker gate (`gated` rule): a frame can only be speech-like when its whole-band
    level stands over the background's. The background is the 20th percentile of the last 5 s of
    levels (babble's own level, even while the caller talks: a talker's pauses and weak frames
    fall to it); the margin over it grows with how much the background itself swings, measured
    over the last 300 frames not taken for speech (median minus 10th percentile, less 2 dB, times
    1.5, within 0 to 8 dB): white and pink noise swing under 1 dB, which leaves the gate open;
    babble swings 5.5-8.5 dB, whose loud moments it then keeps out. 6 dB until 100 such frames."""

    def __init__(self, window=500, off_window=300, base=-3.0, gain=1.5, low=0.0, high=8.0, initial=6.0):
        self.window, self.off_window = window, off_window
        self.base, self.gain, self.low, self.high, self.initial = base, gain, low, high, initial
        self.levels, self.off = [], []

    def admits(self, level):
        self.levels.append(level)
        if len(self.levels) <= 50:
            return True
        background = np.quantile(self.levels[-self.window:], 0.2)
        margin = self.initial
        if len(self.off) >= 100:
            recent = np.array(self.off[-self.off_window:])
            swing = np.quantile(recent, 0.5) - np.quantile(recent, 0.1)
            margin = min(self.high, max(self.low, self.base + self.gain * swing))
        return level > background + margin

    def observe(self, level, speech_on):
        if not speech_on:
            self.off.append(level)


def energy_rule(signal, adaptive=True, hangover_by_snr=True, bias=3.0, gate=None):
    """What VoiceActivityDetector does, at its default (normal) settings (`adaptive=False`: before Sensitivity;
    `hangover_by_snr=False`: the configured hangover at every SNR; `gate`: a ``BackgroundGate``)."""
    power = powers(signal)
    scores = periodicity(signal)
    voicing = (scores - 0.4) * 10
    floors, previous, speech_level, clear_frames = Floors(power.shape[1]), np.zeros(power.shape[1]), -np.inf, 0
    decider = Decider(len(power), power.shape[1], threshold=5.0)
    for frame in range(len(power)):
        floor = floors.floors()
        over_noise = speech_level - floor[0] if adaptive and clear_frames >= 20 else None
        smoothing, drift = sensitivity(over_noise)
        if hangover_by_snr:
            decider.hangover = hangover_frames(over_noise)
        smoothed = smoothing * previous + (1 - smoothing) * power[frame]
        previous = power[frame]
        level = 10 * np.log10(smoothed + 1e-10)
        rises = np.full(power.shape[1], -np.inf)
        if frame > 0:
            rises = level - floor - bias
            rises = rises + np.where(rises > 0, voicing[frame], min(voicing[frame], 0))
        floors.observe(level)
        if gate is not None and not gate.admits(level[0]):
            rises = np.minimum(rises, 0)
        decider.step(frame, rises, audible=level[0] > -65, drift=drift, limit=drift + 1)
        if gate is not None:
            gate.observe(level[0], decider.on)
        if decider.on and scores[frame] > 0.5:
            speech_level = max(level[0], speech_level - 0.01)
            clear_frames += rises.max() > 5.0
    return decider.finish()


def level_rises(power, smoothing=0.3, bias=3.0):
    """Each feature's smoothed level over its floor, in dB (frames x features)."""
    floors = Floors(power.shape[1])
    previous = np.zeros(power.shape[1])
    rises = np.full(power.shape, -np.inf)
    levels = np.zeros(power.shape)
    for frame in range(len(power)):
        smoothed = smoothing * previous + (1 - smoothing) * power[frame]
        previous = power[frame]
        levels[frame] = 10 * np.log10(smoothed + 1e-10)
        if frame > 0:
            rises[frame] = levels[frame] - floors.floors() - bias
        floors.observe(levels[frame])
    return rises, levels[:, 0] > -65


def likelihood_rule(signal, threshold=0.5):
    """Mean over six bands of the ML log-likelihood ratio (g - 1 - ln g for band SNR g > 1)."""
    rises, audible = level_rises(powers(signal, WEBRTC_BANDS))
    gains = 10 ** (np.nan_to_num(rises[:, 1:], neginf=-100) / 10)
    ratio = np.where(gains > 1, gains - 1 - np.log(np.maximum(gains, 1e-9)), 0).mean(axis=1)
    decider = Decider(len(ratio), 1, threshold=threshold, loud=1.5, lead_in=0.3)
    for frame in range(len(ratio)):
        decider.step(frame, ratio[frame:frame + 1], audible=audible[frame], drift=threshold / 2, limit=1.0)
    return decider.finish()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rule", choices=["energy", "likelihood", "energy-fixed-hangover", "gated", "both"], default="both")
    parser.add_argument("--backgrounds", default="white,pink")
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="vad-model-")
    clean, labels = accuracy.build_set(arguments.seed, directory)
    starts = accuracy.onsets(labels)
    rng = np.random.default_rng(arguments.seed + 1)
    rules = {"energy": energy_rule, "likelihood": likelihood_rule,
             "energy-fixed-hangover": lambda signal: energy_rule(signal, hangover_by_snr=False),
             "gated": lambda signal: energy_rule(signal, gate=BackgroundGate())}
    chosen = ["energy", "likelihood"] if arguments.rule == "both" else [arguments.rule]
    print("| noise | SNR dB | WebRTC best F1 | " + " | ".join(f"{name} F1 / onset ms" for name in chosen) + " |")
    print("|---|---|---|" + "---|" * len(chosen))
    for kind in arguments.backgrounds.split(","):
        for snr in (20, 10, 5, 0):
            pcm = accuracy.mix(clean, labels, kind, snr, rng, directory)
            best = max(accuracy.f1(accuracy.webrtc(pcm, mode, len(labels))[0], labels) for mode in range(4))
            cells = []
            for name in chosen:
                decisions, detections = rules[name](pcm.astype(np.float64) / 32768)
                delays, _ = accuracy.onset_delays(starts, detections)
                cells.append(f"{accuracy.f1(decisions[:len(labels)], labels):.3f} / {np.median(delays):.0f}")
            print(f"| {kind} | {snr} | {best:.3f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
