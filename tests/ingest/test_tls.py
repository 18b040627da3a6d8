"""HTTPS through the pinned connection: the socket goes to the checked address, TLS still checks the name.

A throwaway CA and a certificate for ``secure.test`` are made with the ``openssl`` command; the name
exists only in the test's resolver, so a passing fetch proves both the pin and the SNI/hostname check.
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gazette.config import FetchSettings
from gazette.errors import FetchError
from gazette.ingest.fetcher import Fetcher

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=Gazette Test CA", cwd=d)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "site.key", "-out", "site.csr",
             "-subj", "/CN=secure.test", cwd=d)  # fmt: skip
    (d / "ext.cnf").write_text("subjectAltName=DNS:secure.test\nbasicConstraints=CA:FALSE\n")
    _openssl("x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "site.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)  # fmt: skip
    return d


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = f"host={self.headers.get('Host')}".encode()
        self.send_response(404 if self.path == "/robots.txt" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def https_port(tls_files: Path) -> Iterator[int]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tls_files / "site.pem", tls_files / "site.key")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield int(srv.server_address[1])
    srv.shutdown()
    srv.server_close()


def _fetcher(tls_files: Path) -> Fetcher:
    ctx = ssl.create_default_context(cafile=str(tls_files / "ca.pem"))
    settings = FetchSettings(allow_hosts=["127.0.0.1"], delay_seconds=0.0, total_timeout=10.0)
    return Fetcher(settings, resolver=lambda host, port: ["127.0.0.1"], ssl_context=ctx)


def test_https_to_a_pinned_address_keeps_sni_and_the_certificate_check(
    tls_files: Path, https_port: int
) -> None:
    with _fetcher(tls_files) as fetcher:
        doc = fetcher.fetch(f"https://secure.test:{https_port}/feed.xml")
    assert doc.content == f"host=secure.test:{https_port}".encode()


def test_https_certificate_for_another_name_is_refused(tls_files: Path, https_port: int) -> None:
    with _fetcher(tls_files) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(f"https://impostor.test:{https_port}/feed.xml")
    assert "certificate" in info.value.reason.lower() or "cannot connect" in info.value.reason
