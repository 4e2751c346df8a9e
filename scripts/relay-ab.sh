#!/usr/bin/env bash
# Compares relay binaries under one load generator, side by side, alternating runs:
#   scripts/relay-ab.sh CALLS SECONDS ROUNDS BINARY_A BINARY_B [...]
# Each binary serves on 127.0.0.1 with this tree's `voice-relay load` (release) as the
# generator and model stand-in, so only the relay differs. Prints one line per run.
# MODEL_AUDIO_FORMAT=pcmu selects the mu-law pass-through path (default pcm16); use it when one of
# the binaries is a floor relay (scripts/floor-relay.sh, Benchmarks' NIOFloorRelay).
set -euo pipefail
cd "$(dirname "$0")/.."
calls=$1 seconds=$2 rounds=$3
shift 3
load=.build/release/voice-relay
model_port=7777
relay_port=7070
data=$(mktemp -d)
trap 'pkill -f "serve --host 127.0.0.1 --port $relay_port" || true; pkill -f "simulate-model --port $model_port" || true; rm -rf "$data"' EXIT
source scripts/alternating-order.sh
for round in $(seq "$rounds"); do
  for binary in $(round_order "$round" "$@"); do
    # The relay's model health check must see a model at start: a simulated one stands in
    # until the generator's echoing stand-in takes the port (the next probe is 30 s away).
    "$load" simulate-model --port $model_port > /dev/null 2>&1 &
    sleep 1
    MODEL_PROVIDER=openai OPENAI_REALTIME_URL="ws://127.0.0.1:$model_port/v1/realtime?model=echo" MODEL_AUDIO_FORMAT="${MODEL_AUDIO_FORMAT:-pcm16}" \
      MAX_CALLS=$((calls + 50)) DATA_DIR="$data" LOG_LEVEL=warning MODEL_PROBE_SECONDS=30 \
      "$binary" serve --host 127.0.0.1 --port $relay_port > /dev/null 2>&1 &
    relay=$!
    sleep 3
    pkill -f "simulate-model --port $model_port"
    sleep 0.3
    result=$("$load" load --target ws://127.0.0.1:$relay_port/media-stream --relay-pid $relay --model-port $model_port \
      --calls "$calls" --duration "$seconds" 2>&1 | grep -E "relay CPU|relay memory|lost|stalled|rror" | tr -s ' ' | paste -sd ' ')
    echo "round $round $binary: $result"
    kill $relay; wait $relay 2>/dev/null || true
    sleep 1
  done
done
