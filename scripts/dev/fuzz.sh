#!/usr/bin/env bash
# Fuzzes the two parsers that read untrusted input (Twilio's Media Streams messages, the model's
# events) with libFuzzer and AddressSanitizer, each for FUZZ_SECONDS (default 600) from the seed
# corpus in Fuzz/corpus. The fuzzer is the package's `wire-fuzzer` product, built by SwiftPM in a
# scratch folder of its own, in debug: SwiftPM's release build with `--sanitize fuzzer` links
# libFuzzer but leaves the Swift code without coverage (no input is ever "interesting"). New inputs the fuzzer finds go to out/fuzz/<target>/corpus; a crash
# leaves its input in out/fuzz/<target>/ and fails the script (replay it with
# `swift run wire-fuzzer <target> FILE`).
#   scripts/dev/fuzz.sh                 # both targets, 10 minutes each
#   FUZZ_SECONDS=60 scripts/dev/fuzz.sh twilio
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${FUZZ_SECONDS:-600}"
targets=("${@:-twilio model}")
read -r -a targets <<< "${targets[*]}"

scratch=.build/fuzz
swift build --product wire-fuzzer --scratch-path "$scratch" --sanitize fuzzer --sanitize address -Xswiftc -DFUZZING
fuzzer="$(swift build --scratch-path "$scratch" --show-bin-path)/wire-fuzzer"

for target in "${targets[@]}"; do
  case "$target" in
    twilio|model) ;;
    *) echo "unknown target $target (twilio, model)" >&2; exit 2 ;;
  esac
  mkdir -p "out/fuzz/$target/corpus"
  echo "fuzzing $target for $seconds s"
  (cd "out/fuzz/$target" && FUZZ_TARGET="$target" "$fuzzer" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
     -artifact_prefix=./ corpus "../../../Fuzz/corpus/$target") > "out/fuzz/$target/log.txt" 2>&1 \
    || { tail -40 "out/fuzz/$target/log.txt"; echo "fuzzing $target FAILED (input saved in out/fuzz/$target/)" >&2; exit 1; }
  grep -E "^Done|number_of_executed_units|new_units_added|peak_rss" "out/fuzz/$target/log.txt"
  echo "corpus: $(ls "out/fuzz/$target/corpus" | wc -l) inputs"
done
