#!/usr/bin/env bash
# Fuzzes the two parsers that read untrusted input (Twilio's Media Streams messages, the model's
# events) with libFuzzer and AddressSanitizer, each for FUZZ_SECONDS (default 600) from the seed
# corpus in Fuzz/corpus. New inputs the fuzzer finds go to out/fuzz/<target>/corpus; a crash
# leaves its input in out/fuzz/<target>/ and fails the script (replay it with
# `swift run wire-fuzzer <target> FILE`).
#
# The harness is the package's `WireFuzzer` target (every ordinary build compiles it to replay
# inputs); here SwiftPM builds it with libFuzzer and AddressSanitizer, and with FUZZING defined so
# libFuzzer's `main` is the one linked (the first build takes ~4 minutes, in .build/fuzz).
# `--sanitize fuzzer --sanitize address` alone hands swiftc two `-sanitize=` flags in an order
# that varies from build to build, and the frontend keeps only the last: when that is `address`
# the Swift code gets no coverage and libFuzzer finds nothing. The one combined flag after them
# settles it; the script also checks that the parsers' module is instrumented.
#   scripts/dev/fuzz.sh                 # every target, 10 minutes each
#   FUZZ_SECONDS=60 scripts/dev/fuzz.sh twilio
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${FUZZ_SECONDS:-600}"
targets=("${@:-twilio plivo telnyx vonage model}")
read -r -a targets <<< "${targets[*]}"

mkdir -p out/fuzz
swift build -c release --product wire-fuzzer --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address \
  -Xswiftc -DFUZZING --scratch-path .build/fuzz 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -5
fuzzer="$PWD/.build/fuzz/release/wire-fuzzer"
test -x "$fuzzer"
# Read whole first: `grep -q` stops at the first match, and under pipefail objdump's SIGPIPE then
# failed the check on an instrumented object.
sections=$(objdump -h .build/fuzz/release/Wire.build/JSONScanner.swift.o)
if ! grep -q sancov <<< "$sections"; then
  echo "the Wire module was built without coverage instrumentation" >&2
  exit 1
fi

for target in "${targets[@]}"; do
  case "$target" in
    twilio|plivo|telnyx|vonage|model) ;;
    *) echo "unknown target $target (twilio, plivo, telnyx, vonage, model)" >&2; exit 2 ;;
  esac
  mkdir -p "out/fuzz/$target/corpus"
  echo "fuzzing $target for $seconds s"
  (cd "out/fuzz/$target" && FUZZ_TARGET="$target" "$fuzzer" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
     -artifact_prefix=./ corpus "../../../Fuzz/corpus/$target") > "out/fuzz/$target/log.txt" 2>&1 \
    || { tail -40 "out/fuzz/$target/log.txt"; echo "fuzzing $target FAILED (input saved in out/fuzz/$target/)" >&2; exit 1; }
  grep -E "INITED|^Done|number_of_executed_units|new_units_added|peak_rss" "out/fuzz/$target/log.txt"
  echo "corpus: $(ls "out/fuzz/$target/corpus" | wc -l) inputs"
done
