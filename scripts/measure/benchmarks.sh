#!/usr/bin/env bash
# Runs the ordo-one/benchmark suites (release build, malloc counting) and prints their tables.
# Usage: scripts/measure/benchmarks.sh [extra `swift package benchmark` arguments, e.g. --filter ".*resample.*"]
set -euo pipefail
cd "$(dirname "$0")/../../Benchmarks"
../scripts/dev/install-system-packages.sh pkg-config libopus-dev libspeexdsp-dev
swift package --allow-writing-to-package-directory benchmark --no-progress "$@"
