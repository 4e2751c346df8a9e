#!/usr/bin/env bash
# Checks that the Dockerfile's runtime stage installs every shared library the relay loads.
# Usage: scripts/dev/check-image-libraries.sh           the ordinary release build (the test command's),
#                                                  its Swift runtime taken as linked in statically
#        scripts/dev/check-image-libraries.sh --static  the binary built as the Dockerfile builds it
#                                                  (a second full release build: after changing the
#                                                  Dockerfile or the dependencies)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ ${1:-} == --static ]]; then
    swift build -c release --static-swift-stdlib --product voice-relay --scratch-path .build-static
    binary="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/voice-relay"
    python3 scripts/dev/check_image_libraries.py "$binary" Dockerfile
else
    swift build -c release --product voice-relay
    binary="$(swift build -c release --show-bin-path)/voice-relay"
    python3 scripts/dev/check_image_libraries.py --swift-runtime-linked-statically-in-image "$binary" Dockerfile
fi
# The binary starts and answers on this machine's libraries alone.
"$binary" --help >/dev/null
