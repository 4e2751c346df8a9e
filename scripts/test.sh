#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test suite, then prints
# how long each step took.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()
step_started=$SECONDS
# Ends the step named $1 (its time goes into the report printed at exit).
step_done() {
    timings+=("$(printf '%6ds  %s' $((SECONDS - step_started)) "$1")")
    step_started=$SECONDS
}
report() {
    local status=$?
    "${VOICERELAY_TEST_POSTGRES_CTL:-true}" stop >/dev/null 2>&1 || true
    echo "== scripts/test.sh steps (exit $status)"
    printf '%s\n' "${timings[@]}"
    printf '%6ds  total\n' "$SECONDS"
}
trap report EXIT

scripts/dev/install-system-packages.sh pkg-config libopus-dev libssl-dev libsqlite3-dev libspeexdsp-dev opus-tools python3 postgresql \
    chromium curl espeak-ng
# The carriers' own Python libraries (twilio, telnyx with its webhooks extra, plivo, vonage)
# check the request signatures against theirs; the openai and azure-ai-voicelive SDKs check the
# model client events the relay writes; websocket-client drives headless Chromium for the
# status-page test.
python_packages=(twilio "telnyx[webhooks]" plivo vonage websocket-client openai azure-ai-voicelive)
if ! python3 -c "import twilio.request_validator, telnyx.lib.webhook_verification, nacl.signing, plivo.utils.signature_v3, vonage_jwt.verify_jwt, jwt, websocket, openai.types.realtime, azure.ai.voicelive.models" 2>/dev/null; then
    python3 -m pip --version >/dev/null 2>&1 || scripts/dev/install-system-packages.sh python3-pip
    python3 -m pip install --quiet "${python_packages[@]}" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "${python_packages[@]}"
fi
step_done "install Debian and Python packages"

# A throwaway PostgreSQL server for the call-store tests (its own folder and port; stopped at exit).
eval "$(scripts/dev/postgres-for-tests.sh)"
step_done "start PostgreSQL"

swift build --build-tests
step_done "build (debug, with tests)"
# The load-fault tests run the release build (the debug one costs 20x the CPU per call).
swift build -c release --product voice-relay
step_done "build voice-relay (release)"
# One test at a time: many suites place real-time calls over sockets, and some run relays, model
# stand-ins, an edge and a browser as processes; on a 2-core machine running them side by side
# starves the real-time ones.
swift test --skip-build --no-parallel
step_done "swift test"

# The lock-free ring buffer's tests again under ThreadSanitizer: a package of their own, so only
# the audio pipeline is built sanitized.
swift test --package-path Tests/ThreadSanitizer --sanitize=thread
step_done "ring buffer under ThreadSanitizer"

# The Docker image's runtime stage has every library the release binary loads.
scripts/dev/check-image-libraries.sh
step_done "image libraries"

# The Benchmarks package still compiles (a debug build: it reuses the modules the tests' build
# made, so only the benchmark harness and the benchmarks themselves are compiled). Last, because
# it rewrites the build folder's package state for its own package.
swift build --package-path Benchmarks --scratch-path "$PWD/.build"
step_done "Benchmarks package builds"
