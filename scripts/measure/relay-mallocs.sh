#!/usr/bin/env bash
# Counts the relay's heap allocations under load, to check that steady state allocates nothing
# per frame:
#   scripts/measure/relay-mallocs.sh [CALLS=100] [SECONDS=20] [BINARY=.build/release/voice-relay]
# The relay serves CALLS callers from this tree's `voice-relay load` (release) with its echoing
# model stand-in; once the calls are up, `perf` counts calls of glibc's malloc in the relay
# process for half the run (a uprobe: needs root and perf). MODEL_AUDIO_FORMAT=pcmu selects the
# mu-law pass-through path (default pcm16). Prints mallocs per call-second and per frame pair
# (one caller frame in, one agent frame out: 50 a second).
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=${1:-100} seconds=${2:-20} binary=${3:-.build/release/voice-relay}
source scripts/measure/loopback-relay.sh
command -v perf > /dev/null || { echo "relay-mallocs.sh needs perf (Debian: apt-get install linux-perf)" >&2; exit 1; }
libc=$(ldd "$binary" | awk '$1 ~ /^libc\.so/ { print $3 }')
probe_added=false
if ! perf probe -l 2>/dev/null | grep -q "probe_libc:malloc "; then
  perf probe -q -x "$libc" malloc
  probe_added=true
fi
data=$(mktemp -d)
cleanup() {
  stop_loopback_processes
  if $probe_added; then perf probe -q -d probe_libc:malloc || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

start_loopback_relay "$binary" "$calls" "$data"
"$load" load --target ws://127.0.0.1:$relay_port/media-stream --relay-pid $relay --model-port $model_port \
  --calls "$calls" --duration "$seconds" > "$data/report.txt" 2>&1 &
generator=$!
counted=$((seconds / 2))
sleep $((seconds / 3))
count=$(perf stat -x, -e probe_libc:malloc -p $relay -- sleep $counted 2>&1 | awk -F, '/probe_libc:malloc/ { print $1 }')
wait $generator
grep -E "calls held|lost" "$data/report.txt" | tr -s ' '
awk -v count="$count" -v calls="$calls" -v seconds="$counted" 'BEGIN {
  perCallSecond = count / (calls * seconds)
  printf "relay mallocs: %d in %d s at %d calls: %.2f per call-second, %.3f per frame pair\n",
    count, seconds, calls, perCallSecond, perCallSecond / 50
}'
