#!/usr/bin/env bash
# The capacity curve: `voice-relay load` at 100, 250, 500 and 1,000 calls for both model audio
# paths (pcm16 24 kHz through the pipeline, mu-law passed through), one run after another on
# this machine. Writes out/load/<audio>-<calls>.json and prints a Markdown table.
#   scripts/measure/load-curve.sh                       # 60 s per point
#   LOAD_SECONDS=20 LOAD_CALLS="100 500" scripts/measure/load-curve.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${LOAD_SECONDS:-60}"
calls_list="${LOAD_CALLS:-100 250 500 1000}"
audio_list="${LOAD_AUDIO:-pcm16 pcmu}"
swift build -c release --product voice-relay >/dev/null
mkdir -p out/load
for audio in $audio_list; do
  for calls in $calls_list; do
    echo "== $calls calls, $audio, $seconds s" >&2
    .build/release/voice-relay load --calls "$calls" --duration "$seconds" --model-audio "$audio" \
      --relay-log "out/load/relay-$audio-$calls.log" --json > "out/load/$audio-$calls.json" 2> "out/load/$audio-$calls.err" \
      || echo "   failed: $(tail -1 "out/load/$audio-$calls.err")" >&2
    sleep 2
  done
done
python3 - "$audio_list" "$calls_list" <<'PY'
import json, sys
audios, calls = sys.argv[1].split(), sys.argv[2].split()
print("| path | calls | held | frames lost in/out | relay-added p50/p99 in (ms) | p50/p99 out (ms) | relay CPU ms per call-s (kernel share) | relay cores | KB per call | generator + model cores |")
print("|---|---|---|---|---|---|---|---|---|---|")
for audio in audios:
    for n in calls:
        try:
            r = json.load(open(f"out/load/{audio}-{n}.json"))
        except ValueError:
            reason = open(f"out/load/{audio}-{n}.err").read().strip().splitlines()[-1]
            print(f"| {audio} | {n} | {reason} |||||||")
            continue
        i, o = r["inbound"], r["outbound"]
        print(f"| {audio} | {r['calls']} | {r['callsHeld']} | {i['lost']} / {o['lost']} | {i['p50Ms']:.2f} / {i['p99Ms']:.2f} | "
              f"{o['p50Ms']:.2f} / {o['p99Ms']:.2f} | {r['relayCPUMsPerCallSecond']:.2f} ({r.get('relayKernelShare', 0) * 100:.0f} %) | {r['relayCores']:.2f} | "
              f"{r['residentKBPerCall']:.0f} | {r['generatorCores']:.2f} + {r['modelCores']:.2f} |")
PY
