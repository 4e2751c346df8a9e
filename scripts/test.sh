#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test suite.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh pkg-config libopus-dev libssl-dev libsqlite3-dev opus-tools python3 postgresql chromium curl espeak-ng
# Twilio's own Python library produces the reference request signatures the tests compare against;
# the openai and azure-ai-voicelive SDKs check the model client events the relay writes;
# websocket-client drives headless Chromium for the status-page test.
if ! python3 -c "import twilio.request_validator, websocket, openai.types.realtime, azure.ai.voicelive.models" 2>/dev/null; then
    python3 -m pip --version >/dev/null 2>&1 || scripts/install-system-packages.sh python3-pip
    python3 -m pip install --quiet twilio websocket-client openai azure-ai-voicelive 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages twilio websocket-client openai azure-ai-voicelive
fi

# A throwaway PostgreSQL server for the call-store tests (its own folder and port; stopped at exit).
eval "$(scripts/postgres-for-tests.sh)"
trap '"$VOICERELAY_TEST_POSTGRES_CTL" stop >/dev/null 2>&1 || true' EXIT

swift build --build-tests
# The load-fault tests run the release build (the debug one costs 20x the CPU per call).
swift build -c release --product voice-relay
# One test at a time: many suites place real-time calls over sockets, and some run relays, model
# stand-ins, an edge and a browser as processes; on a 2-core machine running them side by side
# starves the real-time ones.
swift test --skip-build --no-parallel

# The lock-free ring buffer's stress test again under ThreadSanitizer (its own build folder).
swift test --sanitize=thread --scratch-path .build-tsan --filter SPSCRingBufferTests

# The Docker image's runtime stage has every library the release binary loads.
scripts/check-image-libraries.sh
