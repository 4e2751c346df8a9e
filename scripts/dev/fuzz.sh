#!/usr/bin/env bash
# Fuzzes the two parsers that read untrusted input (Twilio's Media Streams messages, the model's
# events) with libFuzzer and AddressSanitizer, each for FUZZ_SECONDS (default 600) from the seed
# corpus in Fuzz/corpus. New inputs the fuzzer finds go to out/fuzz/<target>/corpus; a crash
# leaves its input in out/fuzz/<target>/ and fails the script (replay it with
# `swift run wire-fuzzer <target> FILE`).
#
# The harness is the package's `WireFuzzer` target (every ordinary build compiles it), but the
# fuzzing binary is compiled here with swiftc, the harness together with the Wire sources that
# need neither NIO nor Crypto (the parsers): SwiftPM's `--sanitize fuzzer` builds link libFuzzer
# but leave the Swift code without coverage feedback (libFuzzer finds nothing "interesting").
#   scripts/dev/fuzz.sh                 # both targets, 10 minutes each
#   FUZZ_SECONDS=60 scripts/dev/fuzz.sh twilio
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${FUZZ_SECONDS:-600}"
targets=("${@:-twilio model}")
read -r -a targets <<< "${targets[*]}"

mkdir -p out/fuzz
mapfile -t parsers < <(grep -L -E '^import (NIO|Crypto)' $(find Sources/Wire -name '*.swift' | sort))
fuzzer=out/fuzz/wire-fuzzer
# One module named Wire, so the harness's `import Wire` is its own module (a warning, ignored).
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name Wire -package-name VoiceRelay -DFUZZING \
  Fuzz/WireFuzzer/*.swift "${parsers[@]}" -o "$fuzzer" 2>&1 | grep -v -E "ignoring import|^ *[0-9]* \||^ *\||^$" || true
test -x "$fuzzer"

for target in "${targets[@]}"; do
  case "$target" in
    twilio|model) ;;
    *) echo "unknown target $target (twilio, model)" >&2; exit 2 ;;
  esac
  mkdir -p "out/fuzz/$target/corpus"
  echo "fuzzing $target for $seconds s"
  (cd "out/fuzz/$target" && FUZZ_TARGET="$target" ../wire-fuzzer -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
     -artifact_prefix=./ corpus "../../../Fuzz/corpus/$target") > "out/fuzz/$target/log.txt" 2>&1 \
    || { tail -40 "out/fuzz/$target/log.txt"; echo "fuzzing $target FAILED (input saved in out/fuzz/$target/)" >&2; exit 1; }
  grep -E "INITED|^Done|number_of_executed_units|new_units_added|peak_rss" "out/fuzz/$target/log.txt"
  echo "corpus: $(ls "out/fuzz/$target/corpus" | wc -l) inputs"
done
