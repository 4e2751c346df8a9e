#!/usr/bin/env bash
# The run command: installs what the relay needs, builds it in release mode and runs it.
# Usage: scripts/relay.sh [voice-relay arguments...]   (default: serve, on port 8080 with the local agent)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/dev/install-system-packages.sh pkg-config libopus-dev libssl-dev libsqlite3-dev
swift build -c release --product voice-relay
if [ $# -eq 0 ]; then set -- serve; fi
exec .build/release/voice-relay "$@"
