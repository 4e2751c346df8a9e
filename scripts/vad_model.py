#!/usr/bin/env python3
"""A numpy model of VoiceRelay's VAD, for trying decision rules before porting them to Swift.

`energy` mirrors `VoiceActivityDetector` (four band energies over minimum-statistics floors,
periodicity, CUSUM, lead-in) and scores what the Swift detector scores on the same set, to the
third decimal; `likelihood` is the next design to try: a mean log-likelihood ratio over six
narrower bands (WebRTC's band edges), whose onsets come earlier at low SNR.
Prints F1 and median onset per condition next to WebRTC's best mode, as scripts/vad_accuracy.py.
Usage: scripts/vad_model.py [--seed 1] [--rule energy|likelihood|both]
Needs what scripts/vad_accuracy.py needs.
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


def decide(statistics, threshold, onset_frames=2, loud=1.2, hold=0.5, hangover=10,
           drift=2.0, limit=3.0, lead_in=1.5, gate=None):
    """The detector's decision rules over per-frame statistics (frames x features, or frames x 1).

    Speech-like: the largest statistic over `threshold` (x `hold` once on); starts after
    `onset_frames` in a row, on one frame `loud` x over, or when a feature's CUSUM passes
    `limit`; dated back over frames whose largest statistic still passed `lead_in`."""
    frames, features = statistics.shape
    decisions = np.zeros(frames, dtype=bool)
    detections, largest = [], np.full(frames, -np.inf)
    cusum, cusum_start = np.zeros(features), np.zeros(features, dtype=int)
    on, run, since, last_end, start = False, 0, None, -1, 0
    for frame in range(frames):
        rises = statistics[frame]
        largest[frame] = rises.max()
        persistent, persistent_start = False, frame
        if frame > 0:
            for feature in range(features):
                if cusum[feature] == 0:
                    cusum_start[feature] = frame
                cusum[feature] = max(0.0, cusum[feature] + rises[feature] - drift)
                if cusum[feature] == 0:
                    cusum_start[feature] = frame + 1
                if cusum[feature] > limit:
                    persistent, persistent_start = True, min(persistent_start, cusum_start[feature])
        level = threshold * hold if on else threshold
        speech_like = (gate is None or gate[frame]) and largest[frame] > level
        run = run + 1 if speech_like else 0
        if speech_like:
            since = 0
        elif since is not None:
            since += 1
        if not on and ((speech_like and (run >= onset_frames or largest[frame] > loud * level)) or persistent):
            on, since = True, 0
            start = max(min(frame - run + 1 if speech_like else frame, persistent_start), last_end + 1)
            while start > max(last_end + 1, frame - 9) and largest[start - 1] > lead_in:
                start -= 1
            detections.append((frame + 1) * 10)
        elif on and since > hangover:
            on, last_end = False, frame
            decisions[start:frame + 1] = True
        if on:
            cusum[:] = 0
    if on:
        decisions[start:] = True
    return decisions, detections


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


def energy_rule(signal):
    """What VoiceActivityDetector does, at its default (normal) settings."""
    rises, audible = level_rises(powers(signal))
    voicing = (periodicity(signal) - 0.4) * 10
    lifted = rises + np.where(rises > 0, voicing[:, None], np.minimum(voicing, 0)[:, None])
    return decide(lifted, threshold=5.0, gate=audible)


def likelihood_rule(signal, threshold=0.5):
    """Mean over six bands of the ML log-likelihood ratio (g - 1 - ln g for band SNR g > 1)."""
    rises, audible = level_rises(powers(signal, WEBRTC_BANDS))
    gains = 10 ** (np.nan_to_num(rises[:, 1:], neginf=-100) / 10)
    ratio = np.where(gains > 1, gains - 1 - np.log(np.maximum(gains, 1e-9)), 0).mean(axis=1)
    return decide(ratio[:, None], threshold=threshold, loud=1.5, drift=threshold / 2, limit=1.0,
                  lead_in=0.3, gate=audible)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rule", choices=["energy", "likelihood", "both"], default="both")
    arguments = parser.parse_args()
    clean, labels = accuracy.build_set(arguments.seed, tempfile.mkdtemp(prefix="vad-model-"))
    starts = accuracy.onsets(labels)
    rng = np.random.default_rng(arguments.seed + 1)
    rules = {"energy": energy_rule, "likelihood": likelihood_rule}
    chosen = list(rules) if arguments.rule == "both" else [arguments.rule]
    print("| noise | SNR dB | WebRTC best F1 | " + " | ".join(f"{name} F1 / onset ms" for name in chosen) + " |")
    print("|---|---|---|" + "---|" * len(chosen))
    for kind in ("white", "pink"):
        for snr in (20, 10, 5, 0):
            pcm = accuracy.mix(clean, labels, kind, snr, rng)
            best = max(accuracy.f1(accuracy.webrtc(pcm, mode, len(labels))[0], labels) for mode in range(4))
            cells = []
            for name in chosen:
                decisions, detections = rules[name](pcm.astype(np.float64) / 32768)
                delays, _ = accuracy.onset_delays(starts, detections)
                cells.append(f"{accuracy.f1(decisions[:len(labels)], labels):.3f} / {np.median(delays):.0f}")
            print(f"| {kind} | {snr} | {best:.3f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
