"""A webhook receiver on 127.0.0.1 for the topic-watch tests: it checks every signature, remembers every
``Idempotency-Key`` it accepted, and can refuse the first attempts of each key."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    key: str
    body: dict[str, Any]
    signature: str | None
    status: int


@dataclass
class ReceiverState:
    secret: str | None
    fail_first: int = 0  # refuse (500) this many attempts of every key before accepting it
    delay: float = 0.0  # seconds to wait before answering (a receiver that times out)
    attempts: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, list[Received]] = field(default_factory=dict)  # key → every accepted POST
    bad_signatures: list[str] = field(default_factory=list)
    log: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = self.headers.get("Idempotency-Key") or ""
        signature = self.headers.get("X-Gazette-Signature")
        with state.lock:
            if state.secret is None:
                if signature is not None:
                    state.bad_signatures.append(f"{key}: signed without a secret")
            else:
                expected = "sha256=" + hmac.new(state.secret.encode(), raw, hashlib.sha256).hexdigest()
                if signature is None or not hmac.compare_digest(signature, expected):
                    state.bad_signatures.append(f"{key}: {signature!r}")
            seen = state.attempts.get(key, 0)
            state.attempts[key] = seen + 1
            status = 500 if seen < state.fail_first else 200
            received = Received(key, json.loads(raw), signature, status)
            state.log.append(received)
            if status == 200:
                state.accepted.setdefault(key, []).append(received)
        if state.delay:
            time.sleep(state.delay)
        body = b"ok" if status == 200 else b"try again"
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up waiting (a timeout test)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ReceiverState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@contextmanager
def webhook_receiver(
    secret: str | None, fail_first: int = 0, delay: float = 0.0
) -> Iterator[tuple[str, ReceiverState]]:
    """(URL, state) of a receiver running for the duration of the block."""
    state = ReceiverState(secret, fail_first, delay)
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    finally:
        server.shutdown()
        server.server_close()
