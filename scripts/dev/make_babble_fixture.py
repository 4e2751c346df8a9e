#!/usr/bin/env python3
"""Writes the busy room the call tests play under the caller: Tests/Fixtures/babble/room-8k.s16le.

Five espeak-ng talkers summed (the same room as scripts/measure/vad_babble_call.py), 12 s at 8 kHz,
16-bit little-endian mono, scaled to an RMS of 0.1 of full scale; the tests set its level
under the caller's voice themselves. Rerun it only to change the room: the file is committed,
so the tests need neither espeak-ng nor this script.
Usage: scripts/dev/make_babble_fixture.py [--out Tests/Fixtures/babble/room-8k.s16le]
Needs: espeak-ng (Debian), numpy, scipy.
"""
import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "measure"))
import vad_babble_call as call  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="Tests/Fixtures/babble/room-8k.s16le")
    arguments = parser.parse_args()
    room = call.room(12 * call.RATE, tempfile.mkdtemp(prefix="babble-fixture-"))
    room *= 0.1 / np.sqrt(np.mean(room ** 2))
    os.makedirs(os.path.dirname(arguments.out), exist_ok=True)
    with open(arguments.out, "wb") as handle:
        handle.write((np.clip(room, -1, 1) * 32767).round().astype("<i2").tobytes())
    print(f"{arguments.out}: {len(room) / call.RATE:g} s")


if __name__ == "__main__":
    main()
