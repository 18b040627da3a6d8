"""Load benchmark: `gazette serve` under mixed traffic, beside the static build served by a plain server.

Builds a site from the demo publisher (ingested over real HTTP into a temporary SQLite file), starts
`gazette serve` on 127.0.0.1, and drives it with keep-alive connections for a fixed time with a mix of front
page, article, listing, feed, search and API requests; then does the same against `gazette build` output served
by `python -m http.server`. Prints requests/s, p50/p99 latency and errors for both, and their ratio.

    python bench/load.py [--duration 60] [--connections 200]

Targets (issue 6): zero errors and p99 under 100 ms for cached pages at 200 connections on a 2-core machine.
The load generator shares the machine with the server, so figures are conservative.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    def row(self) -> tuple[str, float, float, float, int]:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000 if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
        return self.name, len(lat) / self.seconds if self.seconds else 0.0, p50, p99, self.errors


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not come up")


async def one_connection(
    host: str, port: int, paths: list[str], deadline: float, result: Result, rng: random.Random
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < deadline:
        path = rng.choice(paths)
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            started = time.monotonic()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()
            )
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = None
            chunked = False
            close = head.startswith(b"HTTP/1.0")  # http.server answers HTTP/1.0 and closes the connection
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                key = name.strip().lower()
                if key == b"content-length":
                    length = int(value.strip())
                elif key == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                elif key == b"connection":
                    close = b"close" in value.lower()
            if chunked:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length is not None:
                await reader.readexactly(length)
            else:
                await reader.read()
                close = True
            result.latencies.append(time.monotonic() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status >= 400:
                result.errors += 1
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            result.errors += 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def drive(base: str, paths: list[str], duration: float, connections: int, name: str) -> Result:
    parts = urlsplit(base)
    result = Result(name)
    rng = random.Random(7)
    deadline = time.monotonic() + duration
    started = time.monotonic()
    await asyncio.gather(
        *(
            one_connection(parts.hostname or "127.0.0.1", parts.port or 80, paths, deadline, result, rng)
            for _ in range(connections)
        )
    )
    result.seconds = time.monotonic() - started
    return result


def build_database(workdir: Path) -> tuple[str, dict[str, str]]:
    from gazette.demo.publisher import DemoPublisher
    from gazette.pipeline import Pipeline
    from gazette.store import feeds as feed_store
    from gazette.store.db import Database

    url = f"sqlite:///{workdir / 'load.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env.update(
        GAZETTE_DATABASE_URL=url, GAZETTE_FETCH_ALLOW_HOSTS="127.0.0.1", GAZETTE_FETCH_DELAY_SECONDS="0"
    )
    from gazette.config import load_settings

    settings = load_settings(env=env)
    db = Database(url)
    db.init()
    with DemoPublisher() as publisher:
        with db.session() as s:
            for f in publisher.feeds():
                feed_store.add_feed(s, f.url, section=f.section, source=f.source)
        with Pipeline(settings, db) as pipeline:
            report = pipeline.ingest(force=True)
    print(f"corpus: {report.new} articles ingested from the demo publisher")
    db.dispose()
    return url, env


def traffic(base: str, live: bool) -> list[str]:
    """A weighted list of paths: pages most, then feeds; search and API only live."""
    with urllib.request.urlopen(f"{base}/sitemap.xml", timeout=10) as r:
        sitemap = r.read().decode()
    locs = [loc.split("</loc>")[0] for loc in sitemap.split("<loc>")[1:]]
    paths = [urlsplit(loc).path or "/" for loc in locs]
    articles = [p for p in paths if p.startswith("/content/")]
    listings = [p for p in paths if not p.startswith("/content/")]
    mix = ["/"] * 20 + articles * 2 + listings + ["/feed.rss", "/feed.atom", "/feed.json"] * 3
    if live:
        mix += ["/search?q=election", "/search?q=water", "/api/articles", "/api/sections"] * 3
    return mix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per target")
    parser.add_argument("--connections", type=int, default=200, help="concurrent keep-alive connections")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gazette-load-") as tmp:
        workdir = Path(tmp)
        _, env = build_database(workdir)
        live_port, static_port = free_port(), free_port()
        live_base, static_base = f"http://127.0.0.1:{live_port}", f"http://127.0.0.1:{static_port}"
        out = workdir / "site"
        subprocess.run(
            [*GAZETTE, "build", str(out), "--base-url", static_base], env=env, check=True, capture_output=True
        )
        servers = [
            subprocess.Popen(
                [*GAZETTE, "serve", "--host", "127.0.0.1", "--port", str(live_port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "http.server",
                    str(static_port),
                    "--bind",
                    "127.0.0.1",
                    "-d",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        try:
            wait_for(live_base + "/")
            wait_for(static_base + "/")
            results = []
            for name, base, live in (
                ("gazette serve", live_base, True),
                ("static build", static_base, False),
            ):
                paths = traffic(base, live)
                asyncio.run(drive(base, paths, 3.0, 10, "warm-up"))  # fill caches
                print(
                    f"driving {name}: {args.connections} connections for {args.duration:.0f} s …", flush=True
                )
                results.append(asyncio.run(drive(base, paths, args.duration, args.connections, name)))
        finally:
            for p in servers:
                p.terminate()
                p.wait(timeout=10)

    print()
    print(f"{'target':<16}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    rows = [r.row() for r in results]
    for name, rps, p50, p99, errors in rows:
        print(f"{name:<16}{rps:>10.0f}{p50:>10.1f}{p99:>10.1f}{errors:>8}")
    live, static = rows
    print(
        f"{'live/static':<16}{live[1] / static[1] if static[1] else float('nan'):>10.2f}"
        f"{live[2] / static[2]:>10.2f}{live[3] / static[3]:>10.2f}"
    )
    print("target: 0 errors and p99 < 100 ms for gazette serve at 200 connections")
    for r in results:
        print(f"{r.name} statuses: {dict(sorted(r.statuses.items()))}")


if __name__ == "__main__":
    main()
