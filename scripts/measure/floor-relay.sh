#!/usr/bin/env bash
# Builds the C floor relay (Benchmarks/FloorRelay/floor_relay.c) into .build/floor-relay and
# prints its path, for measuring the relay against the machine's floor in the same minutes:
#   MODEL_AUDIO_FORMAT=pcmu scripts/measure/relay-ab.sh 250 20 3 "$(scripts/measure/floor-relay.sh)" .build/release/voice-relay
# The floor passes mu-law through, so compare it with the relay's pcmu path (its pcm16 path
# does the resampling and encoding on top).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/dev/install-system-packages.sh gcc libc6-dev libssl-dev >&2
mkdir -p .build
cc -O2 -Wall -Wextra -o .build/floor-relay Benchmarks/FloorRelay/floor_relay.c -lcrypto
echo "$PWD/.build/floor-relay"
