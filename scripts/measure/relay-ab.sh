#!/usr/bin/env bash
# Compares relay binaries under one load generator, side by side, alternating runs:
#   scripts/measure/relay-ab.sh CALLS SECONDS ROUNDS BINARY_A BINARY_B [...]
# Each binary serves on 127.0.0.1 with this tree's `voice-relay load` (release) as the
# generator and model stand-in, so only the relay differs. Prints one line per run.
# MODEL_AUDIO_FORMAT=pcmu selects the mu-law pass-through path (default pcm16); use it when one of
# the binaries is a floor relay (scripts/measure/floor-relay.sh, Benchmarks' NIOFloorRelay).
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=$1 seconds=$2 rounds=$3
shift 3
data=$(mktemp -d)
source scripts/measure/loopback-relay.sh
trap 'stop_loopback_processes; rm -rf "$data"' EXIT
source scripts/measure/alternating-order.sh
for round in $(seq "$rounds"); do
  for binary in $(round_order "$round" "$@"); do
    start_loopback_relay "$binary" "$calls" "$data"
    result=$("$load" load --target ws://127.0.0.1:$relay_port/media-stream --relay-pid $relay --model-port $model_port \
      --calls "$calls" --duration "$seconds" 2>&1 | grep -E "relay CPU|relay memory|lost|stalled|rror" | tr -s ' ' | paste -sd ' ')
    echo "round $round $binary: $result"
    kill $relay; wait $relay 2>/dev/null || true
    sleep 1
  done
done
