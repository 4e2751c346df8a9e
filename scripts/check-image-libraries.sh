#!/usr/bin/env bash
# Builds the release binary as the Dockerfile does (Swift runtime linked statically) and checks
# that the Dockerfile's runtime stage installs every shared library it loads.
# Usage: scripts/check-image-libraries.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product voice-relay --scratch-path .build-static
binary="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/voice-relay"
python3 scripts/check_image_libraries.py "$binary" Dockerfile
# The binary starts and answers on this machine's libraries alone.
"$binary" --help >/dev/null
