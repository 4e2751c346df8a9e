#!/usr/bin/env bash
# Compares carriers' call paths on one relay binary, side by side, alternating runs:
#   scripts/measure/carrier-ab.sh CALLS SECONDS ROUNDS [CARRIER ...]   (default: twilio plivo)
# Each run serves this tree's release relay on 127.0.0.1 under its `voice-relay load`, every
# call playing CARRIER from its webhook on (Twilio's /twiml or Plivo's /plivo/answer, then the
# stream its answer names). Prints one line per run. RELAY names another relay binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=$1 seconds=$2 rounds=$3
shift 3
carriers=("${@:-twilio plivo}")
read -r -a carriers <<< "${carriers[*]}"
binary=${RELAY:-.build/release/voice-relay}
data=$(mktemp -d)
source scripts/measure/loopback-relay.sh
trap 'stop_loopback_processes; rm -rf "$data"' EXIT
source scripts/measure/alternating-order.sh
for round in $(seq "$rounds"); do
  for carrier in $(round_order "$round" "${carriers[@]}"); do
    start_loopback_relay "$binary" "$calls" "$data"
    result=$("$load" load --target ws://127.0.0.1:$relay_port/media-stream --relay-pid $relay --model-port $model_port \
      --carrier "$carrier" --calls "$calls" --duration "$seconds" 2>&1 | grep -E "relay CPU|relay memory|lost|stalled|rror" | tr -s ' ' | paste -sd ' ')
    echo "round $round $carrier: $result"
    kill $relay; wait $relay 2>/dev/null || true
    sleep 1
  done
done
