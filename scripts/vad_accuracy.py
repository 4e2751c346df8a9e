#!/usr/bin/env python3
"""Scores `voice-relay vad` against the WebRTC VAD on a labeled noisy-speech set.

The set: sentences spoken by espeak-ng (several voices), resampled to 8 kHz and joined with
0.6-2 s silences; labels come from the clean speech (10 ms frames within 40 dB of the loudest,
pauses under 150 ms bridged). White and pink noise are added at 20, 10, 5 and 0 dB SNR (speech
power over labeled speech frames against noise power), and every mix passes through G.711
mu-law, as a phone call does. Reported per condition:
  F1     frame-level (10 ms), ours at its default settings, WebRTC at its best mode of 0-3
  onset  median delay from a labeled speech start (after >= 300 ms of silence) to the
         detector's speech-start decision; misses are counted separately
  audible  the median delay from a labeled start to the end of the first 10 ms frame in which
         the clean speech's power reaches the noise's in any of this detector's bands (whole
         band above 150 Hz, 200-1000, 1000-2500, 2500-3800 Hz): roughly where a detector built
         on these bands can start to see a word; narrower bands see it sooner
Usage: scripts/vad_accuracy.py [--binary .build/release/voice-relay] [--seed 1]
Needs: espeak-ng (Debian), numpy, scipy, webrtcvad-wheels (PyPI). Exits non-zero if ours misses
the targets (F1 >= WebRTC's best at every condition, median onset <= 60 ms).
"""
import argparse
import audioop
import json
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np
from scipy.signal import lfilter, resample_poly

import webrtcvad

RATE = 8000
FRAME = 80  # 10 ms at 8 kHz

SENTENCES = [
    "Hello, I would like to check the status of my order please.",
    "Yes, that's right, it was delivered to the wrong address.",
    "Could you tell me when the store opens tomorrow morning?",
    "My account number is four seven two nine one.",
    "No, I don't think that will work for me.",
    "Can I speak to someone about my bill?",
    "The weather has been terrible all week, hasn't it?",
    "Thank you so much, that was very helpful.",
    "I need to reschedule my appointment to next Thursday.",
    "What is the fastest way to get to the airport from here?",
    "Please cancel the subscription effective immediately.",
    "Sure, one moment while I find my card.",
]
VOICES = ["en", "en-us", "en+f3", "en-us+m3", "en+f4", "en-us+m5"]


def speak(text, voice, directory, index):
    path = os.path.join(directory, f"u{index}.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", path, text], check=True)
    with wave.open(path, "rb") as handle:
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float64) / 32768
    return resample_poly(samples, RATE, rate)


def build_set(seed, directory):
    rng = np.random.default_rng(seed)
    pieces = []
    for index in range(24):
        pieces.append(np.zeros(int(rng.uniform(0.6, 2.0) * RATE)))
        utterance = speak(SENTENCES[index % len(SENTENCES)], VOICES[index % len(VOICES)], directory, index)
        pieces.append(utterance / np.max(np.abs(utterance)) * rng.uniform(0.3, 0.7))
    pieces.append(np.zeros(RATE))
    clean = np.concatenate(pieces)
    clean = clean[: len(clean) // FRAME * FRAME]
    return clean, labels_of(clean)


def labels_of(clean):
    energy = 10 * np.log10(np.mean(clean.reshape(-1, FRAME) ** 2, axis=1) + 1e-12)
    labels = energy > energy.max() - 40
    # Bridge pauses shorter than 150 ms: words of one phrase are one stretch of speech.
    gap = 0
    for index in range(len(labels)):
        if labels[index]:
            if 0 < gap < 15 and index - gap - 1 >= 0 and labels[index - gap - 1]:
                labels[index - gap:index] = True
            gap = 0
        else:
            gap += 1
    return labels


def noise(kind, count, rng):
    white = rng.standard_normal(count)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)
    frequencies = np.fft.rfftfreq(count, 1 / RATE)
    spectrum[1:] /= np.sqrt(frequencies[1:])
    spectrum[0] = 0
    return np.fft.irfft(spectrum, count)


def mix(clean, labels, kind, snr_db, rng):
    speech_power = np.mean(clean.reshape(-1, FRAME)[labels] ** 2)
    background = noise(kind, len(clean), rng)
    background *= np.sqrt(speech_power / np.mean(background ** 2) / 10 ** (snr_db / 10))
    noisy = np.clip(clean + background, -1, 32767 / 32768)
    pcm = (noisy * 32768).astype("<i2").tobytes()
    # Through G.711 mu-law and back, as on a phone call.
    return np.frombuffer(audioop.ulaw2lin(audioop.lin2ulaw(pcm, 2), 2), dtype="<i2")


OUR_BANDS = ((200, 1000), (1000, 2500), (2500, 3800))


def bandpass(low, high):
    """RBJ constant-peak-gain bandpass, centred geometrically, as the detector's `Biquad.bandpass`."""
    center = np.sqrt(low * high)
    omega = 2 * np.pi * center / RATE
    alpha = np.sin(omega) / (2 * center / (high - low))
    return [alpha, 0, -alpha], [1 + alpha, -2 * np.cos(omega), 1 - alpha]


def highpass(corner):
    """Butterworth RBJ highpass, as the detector's `Biquad.highpass`."""
    omega = 2 * np.pi * corner / RATE
    alpha = np.sin(omega) / np.sqrt(2)
    c = np.cos(omega)
    return [(1 + c) / 2, -(1 + c), (1 + c) / 2], [1 + alpha, -2 * c, 1 - alpha]


def band_powers(signal, bands=OUR_BANDS):
    """Per 10 ms frame: the power of the whole band above 150 Hz, then of each band (filtered from it)."""
    voice = lfilter(*highpass(150), signal)
    rows = [voice] + [lfilter(*bandpass(low, high), voice) for low, high in bands]
    count = len(signal) // FRAME
    return np.array([np.mean(row[:count * FRAME].reshape(-1, FRAME) ** 2, axis=1) for row in rows]).T


def audible_delays(starts, speech, noise):
    """Per labeled start: ms until the end of the first frame where speech power >= noise power in some band."""
    audible = np.any(speech >= noise, axis=1)
    delays = []
    for start in starts:
        frame = start // 10
        later = np.nonzero(audible[frame:])[0]
        delays.append((later[0] + 1) * 10 if len(later) else float("nan"))
    return delays


def f1(decisions, labels):
    true_positive = np.sum(decisions & labels)
    precision = true_positive / max(np.sum(decisions), 1)
    recall = true_positive / max(np.sum(labels), 1)
    return 2 * precision * recall / max(precision + recall, 1e-12)


def onsets(labels):
    starts = []
    silence = 0
    for index, label in enumerate(labels):
        if label and silence >= 30:
            starts.append(index * 10)
        silence = 0 if label else silence + 1
    return starts


def onset_delays(starts, detections):
    delays, misses = [], 0
    for start in starts:
        candidates = [d for d in detections if start - 100 <= d <= start + 1000]
        if candidates:
            delays.append(max(0, min(candidates) - start))
        else:
            misses += 1
    return delays, misses


def ours(binary, pcm, directory, frame_count):
    path = os.path.join(directory, "noisy.wav")
    with wave.open(path, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(pcm.tobytes())
    output = subprocess.run([binary, "vad", path, "--json"], check=True, capture_output=True, text=True).stdout
    decisions = np.zeros(frame_count, dtype=bool)
    detections = []
    for segment in json.loads(output):
        decisions[segment["startMs"] // 10:segment["endMs"] // 10] = True
        detections.append(segment["detectedMs"])
    return decisions, detections


def webrtc(pcm, mode, frame_count):
    vad = webrtcvad.Vad(mode)
    raw = pcm.tobytes()
    decisions = np.array([vad.is_speech(raw[i * FRAME * 2:(i + 1) * FRAME * 2], RATE) for i in range(frame_count)])
    detections = [i * 10 + 10 for i in range(1, frame_count) if decisions[i] and not decisions[i - 1]]
    return decisions, detections


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/voice-relay")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="vad-accuracy-")
    clean, labels = build_set(arguments.seed, directory)
    frame_count = len(labels)
    starts = onsets(labels)
    rng = np.random.default_rng(arguments.seed + 1)
    print(f"set: {len(clean) / RATE:.1f} s, {np.mean(labels) * 100:.0f}% speech frames, {len(starts)} speech onsets")
    clean_powers = band_powers(clean)
    print("| noise | SNR dB | F1 VoiceRelay | F1 WebRTC best (mode) | onset median ms VoiceRelay (misses) | onset median ms WebRTC (misses) | speech audible in our bands, median ms |")
    print("|---|---|---|---|---|---|---|")
    failed = False
    for kind in ("white", "pink"):
        for snr in (20, 10, 5, 0):
            pcm = mix(clean, labels, kind, snr, rng)
            decisions, detections = ours(arguments.binary, pcm, directory, frame_count)
            our_f1 = f1(decisions, labels)
            our_delays, our_misses = onset_delays(starts, detections)
            best = max(((f1(d, labels), mode, det) for mode in range(4) for d, det in [webrtc(pcm, mode, frame_count)]),
                       key=lambda item: item[0])
            their_delays, their_misses = onset_delays(starts, best[2])
            audible = np.median(audible_delays(starts, clean_powers, band_powers(pcm / 32768 - clean)))
            our_onset = np.median(our_delays) if our_delays else float("nan")
            their_onset = np.median(their_delays) if their_delays else float("nan")
            print(f"| {kind} | {snr} | {our_f1:.3f} | {best[0]:.3f} ({best[1]}) | {our_onset:.0f} ({our_misses}) | "
                  f"{their_onset:.0f} ({their_misses}) | {audible:.0f} |", flush=True)
            failed |= our_f1 < best[0] or not (our_onset <= 60)
    if failed:
        print("VoiceRelay's VAD misses a target", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
