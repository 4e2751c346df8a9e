#!/usr/bin/env bash
# Scores the VAD on the sets of several seeds (scripts/vad_accuracy.py, two at a time) and prints
# one line per seed: whether both targets hold, and the conditions where they do not.
#   scripts/vad_seeds.sh [FIRST [LAST [BINARY]]]        default: seeds 1-9, .build/release/voice-relay
# The detector was tuned on seeds 1-3; the others are sets it has not seen. Exits non-zero if
# any seed misses a target. Full tables are left in the printed directory.
set -euo pipefail
cd "$(dirname "$0")/.."
first=${1:-1} last=${2:-9} binary=${3:-.build/release/voice-relay}
out=$(mktemp -d -t vad-seeds-XXXX)
for seed in $(seq "$first" "$last"); do
  python3 scripts/vad_accuracy.py --binary "$binary" --seed "$seed" > "$out/seed$seed.txt" 2>/dev/null &
  if (( (seed - first) % 2 == 1 )); then wait || true; fi
done
wait || true
missed=0
for seed in $(seq "$first" "$last"); do
  # Rows: | noise | SNR | F1 ours | F1 WebRTC (mode) | onset ours (misses) | ...
  misses=$(awk -F'|' '/^\| (white|pink)/ {
      split($5, theirs, " "); split($6, onset, " ")
      bad = ""
      if ($4 + 0 < theirs[1] + 0) bad = bad " F1 " $4 "<" theirs[1]
      if (onset[1] == "nan" || onset[1] + 0 > 60) bad = bad " onset " onset[1] " ms"
      if (bad != "") printf "%s %s dB:%s;", $2, $3, bad
    }' "$out/seed$seed.txt" | tr -s ' ')
  rows=$(grep -cE '^\| (white|pink)' "$out/seed$seed.txt" || true)
  if [[ $rows -ne 8 ]]; then
    echo "seed $seed: no table (see $out/seed$seed.txt)"; missed=1
  elif [[ -n $misses ]]; then
    echo "seed $seed: misses:$misses"; missed=1
  else
    echo "seed $seed: both targets met"
  fi
done
echo "tables: $out"
exit $missed
