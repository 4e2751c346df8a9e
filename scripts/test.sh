#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test suite.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh pkg-config libopus-dev libssl-dev opus-tools python3
# Twilio's own Python library produces the reference request signatures the tests compare against.
if ! python3 -c "import twilio.request_validator" 2>/dev/null; then
    python3 -m pip --version >/dev/null 2>&1 || scripts/install-system-packages.sh python3-pip
    python3 -m pip install --quiet twilio 2>/dev/null || python3 -m pip install --quiet --break-system-packages twilio
fi

swift build --build-tests
swift test --skip-build

# The lock-free ring buffer's stress test again under ThreadSanitizer (its own build folder).
swift test --sanitize=thread --scratch-path .build-tsan --filter SPSCRingBufferTests
