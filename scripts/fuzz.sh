#!/usr/bin/env bash
# Builds the libFuzzer targets for the two parsers that read untrusted input (Twilio's Media
# Streams messages, the model's events) with AddressSanitizer, and runs each for FUZZ_SECONDS
# (default 600) from the seed corpus in Fuzz/corpus. New inputs the fuzzer finds go to
# out/fuzz/<target>/corpus; a crash leaves its input in out/fuzz/<target>/ and fails the script.
#   scripts/fuzz.sh                 # both targets, 10 minutes each
#   FUZZ_SECONDS=60 scripts/fuzz.sh twilio
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-600}"
targets=("${@:-twilio model}")
read -r -a targets <<< "${targets[*]}"

parser_sources=(Sources/Server/Wire/JSONScanner.swift Sources/Server/Wire/Base64.swift)
build() {
  local name="$1" harness="$2"; shift 2
  mkdir -p "out/fuzz/$name"
  swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "${name}Fuzz" \
    "$harness" "${parser_sources[@]}" "$@" -o "out/fuzz/$name/fuzzer"
}

for target in "${targets[@]}"; do
  case "$target" in
    twilio)
      build twilio Fuzz/TwilioMessageFuzzer.swift Sources/Server/Twilio/MediaStreamParser.swift \
        Sources/Server/Twilio/MediaStreamMessage.swift Sources/Server/Twilio/MediaStreamProtocolError.swift \
        Sources/Server/Twilio/MarkName.swift ;;
    model)
      build model Fuzz/ModelEventFuzzer.swift Sources/Server/Models/RealtimeEventFields.swift ;;
    *) echo "unknown target $target (twilio, model)" >&2; exit 2 ;;
  esac
  mkdir -p "out/fuzz/$target/corpus"
  echo "fuzzing $target for $seconds s"
  (cd "out/fuzz/$target" && ./fuzzer -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
     -artifact_prefix=./ corpus "../../../Fuzz/corpus/$target") > "out/fuzz/$target/log.txt" 2>&1 \
    || { tail -40 "out/fuzz/$target/log.txt"; echo "fuzzing $target FAILED (input saved in out/fuzz/$target/)" >&2; exit 1; }
  grep -E "^Done|number_of_executed_units|new_units_added|peak_rss" "out/fuzz/$target/log.txt"
  echo "corpus: $(ls "out/fuzz/$target/corpus" | wc -l) inputs"
done
