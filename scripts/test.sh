#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test suite.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh pkg-config libopus-dev libssl-dev opus-tools

swift build --build-tests
swift test --skip-build

# The lock-free ring buffer's stress test again under ThreadSanitizer (its own build folder).
swift test --sanitize=thread --scratch-path .build-tsan --filter SPSCRingBufferTests
