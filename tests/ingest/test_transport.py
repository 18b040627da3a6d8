"""The transport's parts on their own: the Deadline's accounting and the pinned backend's refusal to
connect without checked addresses (the pinning itself is proved over sockets in test_fetcher/test_tls)."""

from __future__ import annotations

import time

import httpcore
import pytest

from gazette.ingest.transport import Deadline, PinnedBackend, pinned


def test_deadline_spends_only_what_it_is_charged() -> None:
    deadline = Deadline(5.0)
    assert deadline.left == 5.0
    deadline.spend(2.0)
    assert deadline.left == 3.0
    before = time.monotonic()
    with deadline.running() as ends_at:
        assert before <= ends_at - 3.0 <= time.monotonic()
    assert deadline.left <= 3.0
    deadline.spend(10.0)
    assert deadline.left == 0.0  # never negative


def test_backend_never_connects_outside_a_pinned_block() -> None:
    backend = PinnedBackend()
    with pytest.raises(httpcore.ConnectError, match="no checked address"):
        backend.connect_tcp("example.com", 80, timeout=1.0)
    with pinned((), time.monotonic() + 1.0), pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("example.com", 80, timeout=1.0)


def test_backend_stops_at_the_deadline_before_connecting() -> None:
    with pinned(("127.0.0.1",), time.monotonic() - 1.0), pytest.raises(httpcore.ConnectTimeout):
        PinnedBackend().connect_tcp("feeds.test", 9, timeout=1.0)
