#!/usr/bin/env bash
# Compares PipelineLoad binaries side by side, alternating runs (order reversed every other round):
#   scripts/measure/pipeline-ab.sh FORMAT ROUNDS SECONDS BINARY_A BINARY_B [...]
# FORMAT is pcm16 or mulaw; each run is 1,000 pipelines for SECONDS.
# With TIMED=1 each run also times every call's delivery and model audio (PipelineLoad's `timed`),
# the steadier figure for changes of a few percent.
# Build a binary with `cd Benchmarks && swift build -c release --product PipelineLoad` and copy
# .build/release/PipelineLoad aside before changing the tree. Prints one line per run.
set -euo pipefail
format=$1 rounds=$2 seconds=$3
shift 3
source "$(dirname "$0")/alternating-order.sh"
for round in $(seq "$rounds"); do
  for binary in $(round_order "$round" "$@"); do
    result=$("$binary" 1000 "$seconds" "$format" inline ${TIMED:+timed} \
      | grep -E "frames to model|us per call-second|headroom|per pipeline|per call and 20 ms" | tr -s ' ' | paste -sd ' ')
    echo "round $round $binary: $result"
  done
done
