# syntax=docker/dockerfile:1
# VoiceRelay: a multi-stage build. The first stage compiles a release binary with the Swift
# runtime linked in statically; the second is Debian slim plus the few shared libraries the
# binary still needs (scripts/dev/check-image-libraries.sh checks that list against `ldd`).

ARG SWIFT_VERSION=6.3
FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libopus-dev libssl-dev libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Package.swift ./
COPY Sources ./Sources
# The manifest names the test targets, so their folders must exist even for a product build.
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product voice-relay \
 && install -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/voice-relay" /usr/local/bin/voice-relay

FROM debian:bookworm-slim
# libopus0: Opus codec; libsqlite3-0: the embedded call store; libstdc++6: the Swift runtime;
# ca-certificates: TLS to the model providers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopus0 libsqlite3-0 libstdc++6 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --create-home relay
COPY --from=build /usr/local/bin/voice-relay /usr/local/bin/voice-relay
COPY deploy/regions.json /app/regions.json
USER relay
WORKDIR /app
ENV PORT=8080 HOST=:: REGIONS_FILE=/app/regions.json DATA_DIR=/app/data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/voice-relay"]
CMD ["serve"]
