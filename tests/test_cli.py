"""The `gazette` command as a person runs it (a subprocess of the console entry point): every failure is one
line on stderr and a non-zero exit, untrusted text is printed as it is (never as Rich markup), and a database
password never appears in anything printed."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest.conftest import FixtureHTTPServer

# The console script is `gazette = "gazette.cli:app"`: calling app() with no arguments is exactly what it does.
GAZETTE = [sys.executable, "-c", "import sys; from gazette.cli import app; sys.argv[0] = 'gazette'; app()"]
PASSWORD = "s3cret-Pa55"


def gazette(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    clean.update({"COLUMNS": "80", "GAZETTE_DATABASE_URL": f"sqlite:///{cwd}/gazette.db", **(env or {})})
    return subprocess.run(
        [*GAZETTE, *args], cwd=cwd, env=clean, input=stdin, capture_output=True, text=True, timeout=timeout
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command printed on stderr (asserting there is exactly one, and no traceback)."""
    assert result.returncode != 0, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A 127.0.0.1 port something else is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "blank.txt").write_text("  \n\n ", encoding="utf-8")
    return tmp_path


# --- issue 9, item 10b: every failure is one line on stderr and a non-zero exit ---------------------------

BAD_ARGUMENTS = [
    ("init", "--config", "missing.toml"),
    ("add-feed", "ftp://example.org/feed.xml"),
    ("add-feed",),
    ("import-opml", "missing.opml"),
    ("export-opml", "unexpected-argument"),
    ("ingest", "--feed"),
    ("ingest", "--bogus"),
    ("serve", "--port", "not-a-number"),
    ("serve", "--port", "70000"),
    ("serve", "--host", "no-such-host.invalid"),
    ("demo", "--port", "0"),
    ("extract", "missing.html"),
    ("extract",),
    ("build",),
    ("build", "/proc/gazette-cannot-create-this"),
    ("build", "out", "--base-url", "ftp://x"),
    ("train-sections", "missing.jsonl"),
    ("section", "empty.txt"),
    ("section", "blank.txt"),
    ("section", "--jsonl", "missing.jsonl"),
    ("locales", "empty.txt"),
    ("locales", "--jsonl", "missing.jsonl"),
    ("brief",),
    ("brief", "empty.txt"),
    ("brief", "--check", "empty.txt"),
    ("recluster", "--batch", "0"),
    ("feeds", "--bogus"),
    ("remove-feed", "https://example.org/not-subscribed.xml"),
    ("pause-feed",),
    ("resume-feed", "https://example.org/not-subscribed.xml"),
    ("set-feed", "https://example.org/not-subscribed.xml", "--interval", "-5"),
    ("unpublish", "https://example.org/never-stored.html", "--reason", "legal"),
    ("unpublish", "/content/2026/01/01/never-stored.html"),  # no --reason
    ("unpublished", "--bogus"),
    ("republish", "https://example.org/never-unpublished.html"),
    ("run", "--port", "70000"),
    ("watch", "add", "Storms"),
    ("watch", "add", "Storms", "--query", "storm", "--webhook", "http://127.0.0.1:9/hook"),
    ("watch", "remove", "no-such-watch"),
    ("watch", "list", "--bogus"),
    ("backfill", "missing.warc.gz"),
    ("migrate-db",),
    ("correct", "https://example.org/no-such-article", "--title", "A title"),
    ("correct", "https://example.org/no-such-article", "--published", "yesterday"),
    ("history", "https://example.org/no-such-article"),
    ("migrate-db", "--to", "not-a-url"),
    ("config", "show", "--config", "missing.toml"),
    ("config", "nope"),
    ("no-such-command",),
]


@pytest.mark.parametrize("args", BAD_ARGUMENTS, ids=" ".join)
def test_every_command_fails_with_one_line_and_a_nonzero_exit(args: tuple[str, ...], workdir: Path) -> None:
    line = one_error_line(gazette(*args, cwd=workdir))
    assert line.startswith(("error: ", "failed ")), line


def test_every_command_is_tried_with_bad_arguments() -> None:
    import typer.main

    from gazette.cli import app

    group = typer.main.get_command(app)
    commands = set(group.commands)  # type: ignore[attr-defined]
    assert commands <= {args[0] for args in BAD_ARGUMENTS}


def test_section_and_locales_say_there_is_no_text_instead_of_guessing(workdir: Path) -> None:
    result = gazette("section", cwd=workdir, stdin="")
    assert one_error_line(result) == "error: no text to read: stdin"
    assert result.stdout == ""  # nothing filed in Society at 0.10
    assert result.returncode == 2
    result = gazette("locales", "empty.txt", cwd=workdir)
    assert one_error_line(result) == "error: no text to read: empty.txt"
    batch = workdir / "batch.jsonl"
    batch.write_text(
        '{"id": 1, "text": ""}\n{"id": 2, "text": "Council votes on the budget"}\n', encoding="utf-8"
    )
    lines = gazette("section", "--jsonl", str(batch), cwd=workdir).stdout.splitlines()
    assert lines[0] == '{"id": 1, "error": "no text to read"}'
    assert '"id": 2' in lines[1] and '"slug"' in lines[1]


def test_build_into_a_folder_it_cannot_create(workdir: Path) -> None:
    result = gazette("build", "/proc/gazette-x", cwd=workdir)
    assert one_error_line(result).startswith("error: cannot create /proc/gazette-x")
    assert result.returncode == 1


def test_serve_on_a_port_in_use_fails(busy_port: int, workdir: Path) -> None:
    result = gazette("serve", "--port", str(busy_port), cwd=workdir, timeout=60)
    line = one_error_line(result)
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{busy_port}: "), line
    assert result.returncode == 1
    assert "Gazette at" not in result.stdout


def test_demo_on_a_port_in_use_fails_before_ingesting(busy_port: int, workdir: Path) -> None:
    result = gazette("demo", "--port", str(busy_port), "--database", "demo.db", cwd=workdir, timeout=60)
    assert one_error_line(result).startswith(f"error: cannot listen on 127.0.0.1:{busy_port}: ")
    assert not (workdir / "demo.db").exists()


# --- issue 9, item 8: text from a feed or a server is printed, never read as Rich markup -------------------


@pytest.fixture
def hostile_server() -> Iterator[FixtureHTTPServer]:
    srv = FixtureHTTPServer()
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    srv.static("/encoded.xml", feed, "application/rss+xml", Content_Encoding="[/red]")
    srv.static("/gone[/bold].xml", b"gone", "text/plain", status=404)
    srv.static("/emoji.xml", feed, "application/rss+xml", Content_Encoding="[link=file:///etc/passwd]:fire:")
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def test_ingest_report_survives_markup_in_urls_and_server_headers(
    hostile_server: FixtureHTTPServer, workdir: Path
) -> None:
    env = {
        "GAZETTE_FETCH_ALLOW_HOSTS": "127.0.0.1",
        "GAZETTE_FETCH_DELAY_SECONDS": "0",
        "GAZETTE_FETCH_OBEY_ROBOTS": "false",
    }
    urls = [hostile_server.url(p) for p in ("/encoded.xml", "/gone[/bold].xml", "/emoji.xml")]
    for url in urls:
        added = gazette("add-feed", url, cwd=workdir, env=env)
        assert added.returncode == 0, added.stderr
        assert added.stdout.strip() == f"feed added: {url}"  # "[/bold]" printed, not parsed
    result = gazette("ingest", cwd=workdir, env=env)
    assert "Traceback" not in result.stderr and "MarkupError" not in result.stderr
    # The report is printed, and each failure says what the server sent, character for character.
    assert "ingested 0 feeds (0 not modified, 3 failed)" in result.stdout
    assert f"failed {urls[0]}: unsupported Content-Encoding '[/red]'" in result.stderr
    assert f"failed {urls[1]}: HTTP 404" in result.stderr
    assert "[link=file:///etc/passwd]:fire:" in result.stderr  # no link, no emoji
    assert result.returncode == 1  # every feed failed


# --- issue 9, item 9: a database password is never printed -------------------------------------------------


def with_password(url: str) -> str:
    """``url`` with a password for its user (the test server trusts 127.0.0.1, so it is accepted and ignored)."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{PASSWORD}@{host}"


def test_config_show_masks_the_database_password(workdir: Path) -> None:
    url = f"postgresql+psycopg://gazette:{PASSWORD}@127.0.0.1:5432/news"
    result = gazette("config", "show", cwd=workdir, env={"GAZETTE_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "database_url = 'postgresql+psycopg://gazette:***@127.0.0.1:5432/news'" in result.stdout


@pytest.mark.postgres
def test_init_masks_the_database_password(pg_url: str, workdir: Path) -> None:
    url = with_password(pg_url)
    result = gazette("init", cwd=workdir, env={"GAZETTE_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert result.stdout.startswith("database ready: postgresql+psycopg://postgres:***@127.0.0.1:5432/test")


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://gazette:{PASSWORD}@127.0.0.1:1/news",  # nothing listens on port 1
        f"postgresql+psycopg://gazette:{PASSWORD}@127.0.0.1:not-a-port/news",  # cannot be parsed
        f"postgresql+psycopg://gazette:{PASSWORD}@no-such-host.invalid/news",
        f"nosuchdriver://gazette:{PASSWORD}@127.0.0.1/news",
        f"gazette:{PASSWORD}@127.0.0.1/news",  # not a URL at all
    ],
)
@pytest.mark.parametrize("command", [("init",), ("ingest",)])
def test_setup_errors_mask_the_database_password(url: str, command: tuple[str, ...], workdir: Path) -> None:
    result = gazette(*command, cwd=workdir, env={"GAZETTE_DATABASE_URL": url}, timeout=60)
    line = one_error_line(result)
    assert PASSWORD not in result.stdout + result.stderr, line


# --- issue 10: `gazette serve --workers N` shares one port among N processes -----------------------------


def _workers(pid: int) -> list[int]:
    """The server worker processes of ``pid`` (spawned children; not multiprocessing's resource tracker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.append(int(child))
    return found


def _sockets_held(pid: int, port: int, state: str) -> set[str]:
    """The inodes of the TCP sockets on local ``port`` in ``state`` (01 established, 0A listening) that process
    ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == state and int(fields[1].rpartition(":")[2], 16) == port and fields[9] in inodes:
            held.add(fields[9])
    return held


def test_serve_with_workers_answers_from_every_worker_and_stops_on_sigterm(workdir: Path) -> None:
    import signal
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env["GAZETTE_DATABASE_URL"] = f"sqlite:///{workdir}/gazette.db"
    proc = subprocess.Popen(
        [*GAZETTE, "serve", "--port", str(port), "--workers", "2"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        workers: list[int] = []
        while time.monotonic() < deadline:
            workers = _workers(proc.pid)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    # both started: each listens on its socket (the kernel sends nothing to one that does not yet)
                    if (
                        answer.status == 200
                        and len(workers) == 2
                        and all(_sockets_held(pid, port, "0A") for pid in workers)
                    ):
                        break
            except OSError:
                pass
            time.sleep(0.2)
        assert len(workers) == 2, workers
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
                assert answer.status == 200
        # A burst of kept-alive connections is spread over both workers (each listens on a socket of its own),
        # not taken by whichever woke first.
        burst = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(40)]
        try:
            for conn in burst:
                conn.connect()
            for conn in burst:
                conn.request("GET", "/healthz")
            for conn in burst:
                answer = conn.getresponse()
                answer.read()
                assert answer.status == 200
            held = {pid: len(_sockets_held(pid, port, "01")) for pid in workers}
            listening = [_sockets_held(pid, port, "0A") for pid in workers]
        finally:
            for conn in burst:
                conn.close()
        assert sum(held.values()) == 40 and all(held.values()), held
        assert all(len(one) == 1 for one in listening) and not listening[0] & listening[1], listening
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the workers too: they hold the output pipes
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert f"Gazette at http://127.0.0.1:{port}/ (2 workers)" in stdout
    assert "Traceback" not in stderr
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
