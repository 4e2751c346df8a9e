#!/usr/bin/env python3
"""Counts where the VAD starts in a call whose caller sits in a busy room.

The call, 8 kHz: five espeak-ng talkers summed (the room) at --snr dB under the caller's voiced
frames, the whole 12 s long; the caller (the call tests' synthetic voice: harmonics of 150 Hz)
speaks at 2.0-3.0, 6.0-6.8 and 8.0-8.8 s. A detector that ignores the room finds three segments;
every other segment is the room taken for the caller, which in a call is a false barge-in
whenever the agent is speaking, and a start of the caller's not found within 100 ms is a
barge-in missed. The detector needs the call's first second to learn the room (the room is
taken for speech until then), so room segments found in it (--learn) are printed and counted
apart. Prints the segments, the counts, and exits 1 unless no room segment is found after the
first second and every start of the caller's is.
Usage: scripts/measure/vad_babble_call.py [--binary .build/release/voice-relay] [--snr 20] [--learn 1.0]
Needs: espeak-ng (Debian), numpy, scipy.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np
from scipy.signal import resample_poly

RATE = 8000
TALKERS = [("en-gb", 140, 30, "I told him we would meet at the corner after lunch, and then we went to the market."),
           ("en-us+f2", 180, 70, "Did you see the game last night? It went to overtime and nobody left."),
           ("en+m4", 160, 20, "They are closing the bridge for repairs in the spring, so take the ferry."),
           ("en-us+f5", 200, 60, "She ordered the soup and a large coffee with milk, then changed her mind."),
           ("en+m2", 150, 45, "We should have left an hour earlier to beat the traffic on the motorway.")]
SPEECH = [(2.0, 3.0), (6.0, 6.8), (8.0, 8.8)]


def room(count, directory):
    total = np.zeros(count)
    for index, (voice, speed, pitch, text) in enumerate(TALKERS):
        path = os.path.join(directory, f"talker{index}.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, text], check=True)
        with wave.open(path) as handle:
            talker = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2") / 32768
            talker = resample_poly(talker, RATE, handle.getframerate())
        talker /= np.sqrt(np.mean(talker ** 2))
        total += talker[(np.arange(count) + index * 3001) % len(talker)]
    return total


def voice(start, count):
    """The call tests' voiced frame: harmonics of 150 Hz."""
    t = (start + np.arange(count)) / RATE
    return sum(0.08 * np.sin(2 * np.pi * 150 * h * t) / h for h in range(1, 7))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/voice-relay")
    parser.add_argument("--snr", type=float, default=20)
    parser.add_argument("--learn", type=float, default=1.0, help="seconds the detector may take to learn the room")
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="vad-babble-call-")
    count = 12 * RATE
    background = room(count, directory)
    speech_power = np.mean(voice(0, 160) ** 2)
    background *= np.sqrt(speech_power / np.mean(background ** 2) / 10 ** (arguments.snr / 10))
    call = background.copy()
    for start, end in SPEECH:
        first, last = int(start * RATE), int(end * RATE)
        call[first:last] += voice(first, last - first)
    path = os.path.join(directory, "call.wav")
    with wave.open(path, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes((np.clip(call, -1, 1) * 32767).astype("<i2").tobytes())
    segments = json.loads(subprocess.run([arguments.binary, "vad", path, "--json"], check=True, capture_output=True, text=True).stdout)
    false = [s for s in segments
             if not any(start * 1000 - 100 <= s["startMs"] <= end * 1000 for start, end in SPEECH)]
    for segment in segments:
        mark = "room" if segment in false else "caller"
        print(f"{segment['startMs'] / 1000:6.2f} - {segment['endMs'] / 1000:6.2f} s  {mark}")
    # A barge-in needs the caller's start found soon after it (the relay's budget is 100 ms).
    found = [start for start, _ in SPEECH if any(-50 <= s["detectedMs"] - start * 1000 <= 100 for s in segments)]
    learning = [s for s in false if s["detectedMs"] <= arguments.learn * 1000]
    print(f"{len(false) - len(learning)} segments started by the room alone after {arguments.learn:g} s "
          f"({len(learning)} before; {arguments.snr:g} dB under the caller); "
          f"{len(found)} of the caller's {len(SPEECH)} starts found within 100 ms")
    return 1 if len(false) > len(learning) or len(found) < len(SPEECH) else 0


if __name__ == "__main__":
    sys.exit(main())
