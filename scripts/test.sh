#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test suite.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh pkg-config libopus-dev libssl-dev opus-tools

swift build --build-tests
swift test --skip-build
