#!/usr/bin/env python3
"""A stand-in for Fly.io's edge proxy, for the multi-region tests (loopback only).

Each "edge region" listens on its own port, as if callers near that region reached Fly's
anycast address there. A request goes to the nearest region (the edge's own order) that has a
relay, and Fly's dynamic request routing is honoured as Fly documents it:

* a response carrying `fly-replay: region=X[;state=S]...` is not shown to the client: the
  original request is re-sent to region X with `fly-replay-src: instance=..;region=..;t=..;state=S`;
* a request goes to the next nearest region when a relay refuses the connection (it stopped);
* a replay to a region with no relay answers 502 (Fly: "the proxy throws an error");
* only the upgrade request of a WebSocket can be replayed; after `101` bytes are piped as is.

Every routed request is logged as one JSON line (edge, path, CallSid when the body has one,
regions replayed through, the region that answered, its status). Usage:

    fly_edge.py --relays '{"iad": 8001, "fra": 8002}' \
                --edges '{"iad": ["iad", "fra"], "fra": ["fra", "iad"]}' --log routes.jsonl

It prints one line of JSON with the port of each edge region once they listen, and stops by
itself after --lifetime seconds.
"""
import argparse
import asyncio
import json
import sys
import time
import urllib.parse

HEAD_LIMIT = 64 * 1024
BODY_LIMIT = 1024 * 1024  # Fly cannot replay larger requests


class Route:
    def __init__(self, relays, log):
        self.relays = relays
        self.log = log

    def record(self, entry):
        self.log.write(json.dumps(entry) + "\n")
        self.log.flush()


def parse_head(raw):
    lines = raw.decode("latin-1").split("\r\n")
    start = lines[0]
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return start, headers


def header(headers, name):
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def build_head(start, headers):
    return (start + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")


async def read_head(reader):
    raw = await reader.readuntil(b"\r\n\r\n")
    if len(raw) > HEAD_LIMIT:
        raise ValueError("head too large")
    return raw[:-4]


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def forward(route, region, start, headers, body):
    """Sends the request to `region`'s relay; returns (reader, writer, status line, headers)."""
    port = route.relays.get(region)
    if port is None:
        return None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return None
    writer.write(build_head(start, headers) + body)
    await writer.drain()
    raw = await read_head(reader)
    status, response_headers = parse_head(raw)
    return reader, writer, status, response_headers


async def handle(route, edge, nearest, client_reader, client_writer):
    try:
        raw = await read_head(client_reader)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
        client_writer.close()
        return
    start, headers = parse_head(raw)
    length = int(header(headers, "content-length") or 0)
    if length > BODY_LIMIT:
        client_writer.write(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        client_writer.close()
        return
    body = await client_reader.readexactly(length) if length else b""
    upgrade = (header(headers, "upgrade") or "").lower() == "websocket"
    # One request per connection, so that every request is routed.
    headers = [(k, v) for k, v in headers if k.lower() not in ("fly-region", "fly-replay-src")]
    if not upgrade:
        headers = [(k, v) for k, v in headers if k.lower() != "connection"] + [("Connection", "close")]
    headers.append(("Fly-Region", edge))
    call_sid = urllib.parse.parse_qs(body.decode("latin-1")).get("CallSid", [None])[0] if body else None
    entry = {"edge": edge, "path": start.split(" ")[1] if " " in start else start, "callSid": call_sid, "replays": []}

    # The nearest region whose relay accepts the connection (a stopped Machine gets no traffic).
    region, result = None, None
    for candidate in nearest:
        result = await forward(route, candidate, start, headers, body)
        if result is not None:
            region = candidate
            break
    while result is not None:
        reader, writer, status, response_headers = result
        replay = header(response_headers, "fly-replay")
        if replay is None:
            break
        writer.close()
        fields = dict(field.split("=", 1) for field in replay.split(";") if "=" in field)
        target = fields.get("region")
        entry["replays"].append({"from": region, "to": target, "state": fields.get("state")})
        if len(entry["replays"]) > 3 or target is None:
            result = None
            break
        source = f"instance={region}-machine;region={region};t={int(time.time() * 1e6)}"
        if "state" in fields:
            source += f";state={fields['state']}"
        replayed = [(k, v) for k, v in headers if k.lower() != "fly-replay-src"] + [("fly-replay-src", source)]
        region = target
        result = await forward(route, region, start, replayed, body)

    if result is None:
        entry.update(servedBy=None, status=502)
        route.record(entry)
        client_writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await client_writer.drain()
        client_writer.close()
        return
    reader, writer, status, response_headers = result
    entry.update(servedBy=region, status=int(status.split(" ")[1]))
    route.record(entry)
    client_writer.write(build_head(status, response_headers))
    await client_writer.drain()
    await asyncio.gather(pipe(reader, client_writer), pipe(client_reader, writer))


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--relays", required=True, help='JSON: region -> relay port on 127.0.0.1')
    parser.add_argument("--edges", required=True, help='JSON: edge region -> regions nearest first')
    parser.add_argument("--log", required=True, help="where to append one JSON line per routed request")
    parser.add_argument("--lifetime", type=float, default=300, help="stop after this many seconds")
    args = parser.parse_args()
    relays = json.loads(args.relays)
    with open(args.log, "a") as log:
        route = Route(relays, log)
        servers, ports = [], {}
        for edge, nearest in json.loads(args.edges).items():
            server = await asyncio.start_server(
                lambda r, w, e=edge, n=nearest: handle(route, e, n, r, w), "127.0.0.1", 0, limit=HEAD_LIMIT)
            servers.append(server)
            ports[edge] = server.sockets[0].getsockname()[1]
        print(json.dumps(ports), flush=True)
        await asyncio.sleep(args.lifetime)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
