"""Gazette's exception tree: every error a stage raises derives from ``GazetteError``.

::

    GazetteError
     ├── ConfigError                 bad settings file, variable or flag
     ├── InputError                  a file or text named on the command line cannot be read (HTTP 400)
     ├── FetchError(url)             anything that stops a fetch
     │    ├── BlockedAddress          private/loopback/link-local target, or a refused URL scheme
     │    ├── RobotsDisallowed        robots.txt forbids the URL
     │    ├── TooLarge                body over the byte cap (after decompression)
     │    ├── FetchTimeout            connect/read timeout or total deadline
     │    ├── TooManyRedirects        more hops than ``max_redirects``, or a loop
     │    ├── HTTPStatusError(status) a 4xx/5xx answer (``retry_after`` set for 429/503)
     │    └── WebhookError            a topic watch's receiver could not be reached or did not answer in time
     ├── FeedError                   the body is not a feed we can read
     ├── ArchiveError(path)          a WARC file that cannot be opened or read to its end
     ├── ExtractionRejected(reason)  a page gave no usable article (permanent: never retried)
     ├── ExtractionFailed(reason)    the extractor broke (a bug, a package that cannot load): retried next run
     ├── CorrectionRefused           a correction that cannot be made: unknown article, section, date or
     │                                place, an ambiguous place, or nothing to change
     ├── StorageError                the database refused or lost a write
     │    ├── StorageRejected         the row is bad (a constraint, a value out of range): skip it, go on
     │    ├── StorageUnavailable      the database is (locked, disk full, connection lost): retry later
     │    └── CopyRefused             migrate-db: the target already holds a desk, or the source none
     ├── BuildError                  the static build cannot render or write its output folder
     ├── BadRequest                  a malformed API parameter (HTTP 400)
     ├── NotFound                    a page or record that does not exist (HTTP 404)
     └── Gone                        an article that was unpublished (HTTP 410)

Third-party exceptions are wrapped once, where they enter (``raise FetchTimeout(url) from exc``).
Web-facing classes carry ``status`` so one handler can render them.
"""

from __future__ import annotations


class GazetteError(Exception):
    """Root of every error Gazette raises on purpose."""

    status: int = 500

    @property
    def reason(self) -> str:
        return str(self)


class ConfigError(GazetteError):
    """Settings that cannot be used."""


class InputError(GazetteError):
    """An input named on the command line cannot be read."""

    status = 400


class FetchError(GazetteError):
    """A fetch that did not give a usable body."""

    status = 502

    def __init__(self, url: str, message: str = "") -> None:
        self.url = url
        self.message = message or self.__class__.__name__
        super().__init__(f"{self.message}: {url}")


class BlockedAddress(FetchError):
    """The URL's scheme or address is not allowed (SSRF guard)."""


class RobotsDisallowed(FetchError):
    """robots.txt forbids fetching the URL."""


class TooLarge(FetchError):
    """The response is larger than the configured cap."""


class FetchTimeout(FetchError):
    """The server was too slow (connect, read or total deadline)."""


class TooManyRedirects(FetchError):
    """The redirect chain is too long or loops."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, url: str, status_code: int, retry_after: float | None = None) -> None:
        self.status_code = status_code
        self.retry_after = retry_after
        super().__init__(url, f"HTTP {status_code}")


class WebhookError(FetchError):
    """A webhook POST that got no answer: the connection failed or the receiver's time ran out."""


class FeedError(GazetteError):
    """The document is not a feed Gazette can read."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(f"{message}: {url}")


class ArchiveError(GazetteError):
    """A WARC file that cannot be opened or read to its end."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{message}: {path}")

    def __reduce__(self) -> tuple[type[ArchiveError], tuple[str, str]]:  # crosses process boundaries (Dask)
        return (type(self), (self.path, self.message))


class _PageError(GazetteError):
    """A page's URL and the reason it gave no article (not drawn: a shape the two extraction errors share)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self._reason = reason
        super().__init__(f"{reason}: {url}")

    @property
    def reason(self) -> str:
        return self._reason


class ExtractionRejected(_PageError):
    """A page yielded no usable article; ``reason`` says why."""


class ExtractionFailed(_PageError):
    """The extractor itself failed on a page (an unexpected exception, a missing package); the page may be
    fine, so the run keeps the feed's validators and the next run tries it again."""


class CorrectionRefused(GazetteError):
    """An editor's correction that cannot be made as asked; the message says why, and nothing was changed."""

    status = 400


class StorageError(GazetteError):
    """The database refused or lost a write."""


class StorageRejected(StorageError):
    """The database refused this row (a unique or foreign key constraint, a value too long for its column):
    the row is bad, so skip it and go on; the next row may be stored."""


class StorageUnavailable(StorageError):
    """The database itself failed (locked, disk full, connection lost, server gone): no row can be stored
    now, so stop and retry later."""


class CopyRefused(StorageError):
    """A desk copy that must not start: the target already holds articles, or the source holds no desk."""


class BuildError(GazetteError):
    """The static build could not render its pages or write its output folder."""


class BadRequest(GazetteError):
    """A malformed API parameter (HTTP 400)."""

    status = 400


class NotFound(GazetteError):
    """No such page or record."""

    status = 404


class Gone(GazetteError):
    """An article that was unpublished (``gazette unpublish``): it existed, and will not come back."""

    status = 410


__all__ = [
    "ArchiveError",
    "BadRequest",
    "BlockedAddress",
    "BuildError",
    "ConfigError",
    "CopyRefused",
    "CorrectionRefused",
    "ExtractionFailed",
    "ExtractionRejected",
    "FeedError",
    "FetchError",
    "FetchTimeout",
    "GazetteError",
    "Gone",
    "HTTPStatusError",
    "InputError",
    "NotFound",
    "RobotsDisallowed",
    "StorageError",
    "StorageRejected",
    "StorageUnavailable",
    "TooLarge",
    "TooManyRedirects",
    "WebhookError",
]
