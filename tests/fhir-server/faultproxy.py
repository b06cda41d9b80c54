#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a FHIR server, for the sync fault trials.

    python tests/fhir-server/faultproxy.py --upstream http://127.0.0.1:8090 [--rate 0.2]
        [--seed 1] [--delay 3] [--stats FILE] [--port 0] [--require-token TOKEN]

Prints its own base URL (``http://127.0.0.1:<port>``) on stdout once listening; the path of
each request is passed on unchanged. A share ``--rate`` of requests, chosen by a seeded
random generator, meet one fault, in equal shares:

- ``500`` / ``503`` / ``429``: answered by the proxy, never forwarded (429 with Retry-After);
- ``reset-before``: the connection is reset before the request is forwarded;
- ``reset-after``: forwarded, the server answers (and applied it), then the connection is
  reset: the client never hears;
- ``delay-after``: forwarded, the answer held back ``--delay`` seconds (past the client's
  timeout) before it is sent.

With ``--require-token``, a request without ``Authorization: Bearer <TOKEN>`` is answered
401 (a server behind an API gateway). Counts of what it did are written as JSON to
``--stats`` after every request. Stdlib only:
it runs in its own process, so the sync under test can be killed and restarted around it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import struct
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

FAULTS = ("500", "503", "429", "reset-before", "reset-after", "delay-after")


class FaultProxy:
    def __init__(
        self, upstream: str, rate: float, seed: int, delay: float, stats: Path | None, token: str | None = None
    ) -> None:
        parts = urlsplit(upstream)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.rate = rate
        self.random = random.Random(seed)
        self.delay = delay
        self.stats_path = stats
        self.token = token
        self.stats: Counter[str] = Counter()
        # asyncio drops its reference to a connection's task when the client hangs up, and holds
        # the upstream connection's reader only weakly: a task still waiting on the upstream for
        # a client that gave up was destroyed by the garbage collector mid-request ("Task was
        # destroyed but it is pending!", seen in CI). Each task is held here until it ends, so
        # every forwarded request is read to its end and its upstream connection closed.
        self.connections: set[asyncio.Task[None]] = set()

    def choose(self) -> str | None:
        if self.random.random() < self.rate:
            return self.random.choice(FAULTS)
        return None

    def record(self, what: str) -> None:
        self.stats[what] += 1
        if self.stats_path is not None:
            self.stats_path.write_text(json.dumps(dict(self.stats)))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.connections.add(task)
            task.add_done_callback(self.connections.discard)
        try:
            while True:
                request = await read_message(reader, is_request=True)
                if request is None:
                    break
                if (
                    self.token is not None
                    and f"authorization: bearer {self.token}".encode() not in request.split(b"\r\n\r\n", 1)[0].lower()
                ):
                    self.record("401")
                    writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    await writer.drain()
                    break
                fault = self.choose()
                self.record(fault or "forwarded")
                if fault in ("500", "503", "429"):
                    headers = "Retry-After: 1\r\n" if fault == "429" else ""
                    body = b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]}'
                    writer.write(
                        f"HTTP/1.1 {fault} Fault\r\nContent-Type: application/fhir+json\r\n{headers}"
                        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                        + body
                    )
                    await writer.drain()
                    break
                if fault == "reset-before":
                    reset(writer)
                    return
                response = await self.forward(request)
                if fault == "reset-after":
                    reset(writer)
                    return
                if fault == "delay-after":
                    await asyncio.sleep(self.delay)
                writer.write(response)
                await writer.drain()
                if b"\r\nconnection: close" in response.split(b"\r\n\r\n", 1)[0].lower():
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    async def forward(self, request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            head, _, body = request.partition(b"\r\n\r\n")
            lines = [
                line
                for line in head.split(b"\r\n")
                if not line.lower().startswith((b"connection:", b"keep-alive:", b"host:"))
            ]
            lines.insert(1, f"Host: {self.host}:{self.port}".encode())
            lines.append(b"Connection: close")
            writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            await writer.drain()
            response = await read_message(reader, is_request=False)
            if response is None:
                raise ConnectionError("the upstream closed without answering")
            return response
        finally:
            writer.close()


async def read_message(reader: asyncio.StreamReader, *, is_request: bool) -> bytes | None:
    """One HTTP/1.1 message, head and body (Content-Length or chunked), re-framed with a
    Content-Length; None at a clean end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    lines = head[:-4].split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    elif b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif is_request:
        body = b""
    else:
        body = await reader.read()
    kept = [line for line in lines[1:] if not line.lower().startswith((b"transfer-encoding:", b"content-length:"))]
    return b"\r\n".join([lines[0], *kept, b"Content-Length: " + str(len(body)).encode()]) + b"\r\n\r\n" + body


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a dropped connection looks to the client."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--delay", type=float, default=3.0)
    parser.add_argument("--stats", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--require-token")
    args = parser.parse_args()
    proxy = FaultProxy(args.upstream, args.rate, args.seed, args.delay, args.stats, args.require_token)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
