"""Load benchmark: `gazette serve` beside nginx serving the static build of the same site, both driven by wrk.

Builds a site from the demo publisher (ingested over real HTTP into a temporary SQLite file), writes its static
build with `gazette build`, starts `gazette serve --workers N` (response cache on: these are cached pages) and nginx
with as many worker processes (N: `--workers`, default the core count) on 127.0.0.1, warms both, then drives each with `wrk` at
200 keep-alive connections over the same mix of front page, article, listing and feed paths. Prints requests/s,
p50/p99 latency and errors for both, and the ratio live/nginx.

    python bench/load.py [--duration 30] [--connections 200] [--threads 2] [--workers N] [--warm-passes N]

nginx and wrk are Debian packages; the bench installs them with apt-get when they are missing (and it may), or
stops with a message saying how to. A Python load generator would be the bottleneck itself, so none is used.
Targets (issue 10): live >= 0.5x nginx requests/s, p99 < 100 ms at 200 connections. wrk shares the 2 cores
with the servers, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]
NGINX_CONF = """worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
    }}
}}
"""
WRK_SCRIPT = """paths = {{{paths}}}
counter = 0
request = function()
    counter = counter + 1
    return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_us: float = float("nan")  # the server's CPU time (all its processes) per request, in microseconds


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


def ensure_tools() -> str | None:
    """None when nginx and wrk are here (installing them when missing and possible), else why not."""
    missing = [
        tool
        for tool in ("nginx", "wrk")
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if not missing:
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return f"{' and '.join(missing)} missing; install the Debian packages: apt-get install -y nginx wrk"
    print(f"installing {' '.join(missing)} (Debian packages) …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for attempt in (["apt-get", "install", "-y", "-q", *missing], ["apt-get", "update", "-q"]):
        subprocess.run(attempt, env=env, capture_output=True, check=False)
        if attempt[1] == "update":
            subprocess.run(
                ["apt-get", "install", "-y", "-q", *missing], env=env, capture_output=True, check=False
            )
    still = [
        tool for tool in missing if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()
    ]
    return f"could not install {' and '.join(still)} with apt-get" if still else None


def cpu_seconds(root: int) -> float:
    """User and system CPU seconds of process ``root`` and every process below it (its workers), so far."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    family, total = {root}, 0.0
    grew = True
    while grew:
        grew = False
        for pid, (parent, _) in stats.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    for pid in family:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def parse_ms(value: str) -> float:
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", value.strip())
    if not m:
        return float("nan")
    number, unit = float(m.group(1)), m.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


def run_wrk(name: str, base: str, script: Path, duration: float, connections: int, threads: int) -> Result:
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration:.0f}s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    total = re.search(r"([0-9]+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+([0-9]+)", out)
    sock = re.search(r"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    for line in out.splitlines():
        if "Socket errors" in line or "Non-2xx" in line:
            print(f"  {name}: {line.strip()}")
    return Result(
        name,
        rps,
        parse_ms(p50.group(1)) if p50 else float("nan"),
        parse_ms(p99.group(1)) if p99 else float("nan"),
        errors,
        int(total.group(1)) if total else 0,
    )


def build_database(workdir: Path) -> tuple[str, dict[str, str]]:
    from gazette.demo.publisher import DemoPublisher
    from gazette.pipeline import Pipeline
    from gazette.store import subscriptions as feed_store
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


def traffic(base: str) -> list[str]:
    """The paths both servers answer: the front page most, then articles, listings and the site feeds."""
    with urllib.request.urlopen(f"{base}/sitemap.xml", timeout=10) as r:
        sitemap = r.read().decode()
    locs = [loc.split("</loc>")[0] for loc in sitemap.split("<loc>")[1:]]
    paths = [urlsplit(loc).path or "/" for loc in locs]
    articles = [p for p in paths if p.startswith("/content/")]
    listings = [p for p in paths if not p.startswith("/content/") and p != "/"]
    return ["/"] * 20 + articles * 2 + listings + ["/feed.rss", "/feed.atom", "/feed.json"] * 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per server")
    parser.add_argument("--connections", type=int, default=200, help="concurrent keep-alive connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes for each of gazette serve and nginx (default: the core count)",
    )
    parser.add_argument(
        "--warm-passes",
        type=int,
        default=0,
        help="passes over every page through the live server before wrk (default: 4 per worker; 1 leaves "
        "workers partly cold, as an ingest's change to the store does)",
    )
    args = parser.parse_args()

    why = ensure_tools()
    if why:
        print(f"load bench skipped: {why}")
        return
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"

    with tempfile.TemporaryDirectory(prefix="gazette-load-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # nginx's worker runs as an unprivileged user and must read the build
        _, env = build_database(workdir)
        live_port, static_port = free_port(), free_port()
        live_base, static_base = f"http://127.0.0.1:{live_port}", f"http://127.0.0.1:{static_port}"
        site = workdir / "site"
        subprocess.run(
            [*GAZETTE, "build", str(site), "--base-url", static_base],
            env=env,
            check=True,
            capture_output=True,
        )
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (workdir / folder).mkdir()
        conf = workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=workdir, port=static_port, root=site, workers=args.workers))
        servers = [
            subprocess.Popen(
                [
                    *GAZETTE,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(live_port),
                    "--workers",
                    str(args.workers),
                ],
                env={**env, "GAZETTE_SITE_BASE_URL": live_base},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(
                [nginx, "-c", str(conf), "-p", str(workdir), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        results: list[Result] = []
        try:
            wait_for(live_base + "/")
            wait_for(static_base + "/")
            paths = traffic(static_base)
            script = workdir / "paths.lua"
            script.write_text(WRK_SCRIPT.format(paths=", ".join(f'"{p}"' for p in paths)))
            # Every page through nginx once (its files are read) and through the live server over as many fresh
            # connections as --warm-passes says: each worker keeps a cache of its own, and a connection goes to
            # one worker, so one pass leaves about half of each worker's pages to render under wrk.
            for path in sorted(set(paths)):
                with urllib.request.urlopen(static_base + path, timeout=30) as r:
                    r.read()
            for _ in range(args.warm_passes or 4 * args.workers):
                for path in sorted(set(paths)):
                    with urllib.request.urlopen(live_base + path, timeout=30) as r:
                        r.read()
            for name, base, server in (
                ("gazette serve", live_base, servers[0]),
                ("nginx (static)", static_base, servers[1]),
            ):
                print(
                    f"driving {name}: wrk, {args.connections} connections, {args.duration:.0f} s "
                    f"(load average {os.getloadavg()[0]:.2f}) …",
                    flush=True,
                )
                before = cpu_seconds(server.pid)
                result = run_wrk(name, base, script, args.duration, args.connections, args.threads)
                if result.requests:
                    result.cpu_us = (cpu_seconds(server.pid) - before) / result.requests * 1e6
                results.append(result)
        finally:
            for p in servers:
                p.terminate()
                p.wait(timeout=10)

    print()
    print(
        f"{args.workers} worker process(es) each, {os.cpu_count()} cores shared with wrk; "
        f"load average now {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'server':<16}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'requests':>10}{'CPU us/req':>12}"
    )
    for r in results:
        print(
            f"{r.name:<16}{r.rps:>10.0f}{r.p50_ms:>10.1f}{r.p99_ms:>10.1f}{r.errors:>8}{r.requests:>10}"
            f"{r.cpu_us:>12.1f}"
        )
    live, static = results
    ratio = live.rps / static.rps if static.rps else float("nan")
    print(f"live/nginx req/s: {ratio:.2f}x (target >= 0.5x); live p99 {live.p99_ms:.1f} ms (target < 100 ms)")
    # On a shared machine req/s follows whatever else runs; the CPU each server spends per answer does not
    # much, and its ratio is the req/s ratio the two would reach each holding a core of their own.
    print(f"nginx/live CPU per request: {static.cpu_us / live.cpu_us:.2f}x")
    print(f"RESULT load.live_rps {live.rps:.0f} -")
    print(f"RESULT load.nginx_rps {static.rps:.0f} -")
    print(f"RESULT load.live_over_nginx {ratio:.2f} 0.5")
    print(f"RESULT load.live_p99_ms {live.p99_ms:.1f} 100")
    print(f"RESULT load.errors {live.errors + static.errors} 0")
    print(f"RESULT load.live_cpu_us_per_request {live.cpu_us:.1f} -")
    print(f"RESULT load.nginx_cpu_us_per_request {static.cpu_us:.1f} -")


if __name__ == "__main__":
    main()
