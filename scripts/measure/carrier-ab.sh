#!/usr/bin/env bash
# Compares carriers' call paths on one relay binary, side by side, alternating runs:
#   scripts/measure/carrier-ab.sh CALLS SECONDS ROUNDS [PATH ...]
# PATH is a carrier and its codec: twilio (mu-law), plivo-l16 (16 kHz linear PCM, Plivo's
# default here), plivo-mulaw, telnyx-pcmu, telnyx-pcma, telnyx-l16 (16 kHz), telnyx-opus
# (16 kHz), vonage-l16 (16 kHz, binary frames); default: all eight. Each run serves this
# tree's release relay on 127.0.0.1 under its `voice-relay load`, every call playing the carrier
# from its webhook on (the answer names the stream and its codec). Prints one line per run.
# RELAY names another relay binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=$1 seconds=$2 rounds=$3
shift 3
carriers=("${@:-twilio plivo-l16 plivo-mulaw telnyx-pcmu telnyx-pcma telnyx-l16 telnyx-opus vonage-l16}")
read -r -a carriers <<< "${carriers[*]}"
binary=${RELAY:-.build/release/voice-relay}
data=$(mktemp -d)
source scripts/measure/loopback-relay.sh
trap 'stop_loopback_processes; rm -rf "$data"' EXIT
source scripts/measure/alternating-order.sh
for round in $(seq "$rounds"); do
  for path in $(round_order "$round" "${carriers[@]}"); do
    case "$path" in
      twilio) carrier=twilio ;;
      plivo-l16) carrier=plivo; export PLIVO_CONTENT_TYPE="audio/x-l16;rate=16000" ;;
      plivo-mulaw) carrier=plivo; export PLIVO_CONTENT_TYPE="audio/x-mulaw;rate=8000" ;;
      telnyx-pcmu) carrier=telnyx; export TELNYX_CODEC=PCMU ;;
      telnyx-pcma) carrier=telnyx; export TELNYX_CODEC=PCMA ;;
      telnyx-l16) carrier=telnyx; export TELNYX_CODEC=L16 ;;
      telnyx-opus) carrier=telnyx; export TELNYX_CODEC=OPUS ;;
      vonage-l16) carrier=vonage ;;
      *) echo "unknown path $path" >&2; exit 2 ;;
    esac
    start_loopback_relay "$binary" "$calls" "$data"
    unset PLIVO_CONTENT_TYPE TELNYX_CODEC
    result=$("$load" load --target ws://127.0.0.1:$relay_port/media-stream --relay-pid $relay --model-port $model_port \
      --carrier "$carrier" --calls "$calls" --duration "$seconds" 2>&1 | grep -E "relay CPU|relay memory|lost|stalled|rror" | tr -s ' ' | paste -sd ' ')
    echo "round $round $path: $result"
    kill $relay; wait $relay 2>/dev/null || true
    sleep 1
  done
done
