"""Settings: one object, read from gazette.toml and GAZETTE_* variables, passed explicitly to every stage.

Precedence: CLI flag > ``GAZETTE_*`` environment > ``gazette.toml`` > default. Nested keys map to
environment names by joining with ``_``: ``[fetch] allow_hosts`` is ``GAZETTE_FETCH_ALLOW_HOSTS``
(lists are comma-separated). Secrets such as ``brief.llm_api_key`` are read from the environment only.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from gazette.errors import ConfigError

DEFAULT_SECTIONS: dict[str, str] = {
    "politics-government": "Politics and Government",
    "business-finance": "Business and Finance",
    "science-technology": "Science and Technology",
    "health": "Health",
    "sports": "Sports",
    "arts-entertainment": "Arts and Entertainment",
    "crime-justice": "Crime and Justice",
    "conflict-security": "Conflict and Security",
    "environment": "Environment",
    "society": "Society",
}


def _doc(help_text: str, **kw: Any) -> Any:
    return field(metadata={"help": help_text}, **kw)


@dataclass
class FetchSettings:
    allow_hosts: list[str] = _doc(
        "Hosts or addresses exempt from the private-address guard (matched exactly).", default_factory=list
    )
    delay_seconds: float = _doc("Minimum delay between two requests to one host.", default=1.0)
    connect_timeout: float = _doc("Seconds to wait for a TCP/TLS connection.", default=10.0)
    timeout_seconds: float = _doc("Read timeout per network read, in seconds.", default=20.0)
    total_timeout: float = _doc(
        "Deadline for one whole request including the body, in seconds.", default=60.0
    )
    max_bytes: int = _doc("Largest body accepted, counted after decompression.", default=10 * 1024 * 1024)
    max_redirects: int = _doc("Most redirects followed for one request.", default=5)
    max_retry_after: float = _doc(
        "Longest Retry-After honoured, in seconds (longer values are clamped).", default=3600.0
    )
    max_items: int = _doc("Most entries read from one feed per fetch.", default=500)
    user_agent: str = _doc(
        "User-Agent sent with every request.",
        default="Gazette/0.1 (+https://github.com/gazette-news/gazette; news aggregator)",
    )
    obey_robots: bool = _doc("Obey robots.txt.", default=True)


@dataclass
class SiteSettings:
    title: str = _doc("Site name shown in pages and feeds.", default="Gazette")
    base_url: str = _doc(
        "Public base URL used in feeds, sitemaps and permalinks.", default="http://127.0.0.1:8000"
    )
    page_size: int = _doc("Articles per listing page.", default=20)
    cache: bool = _doc(
        "Keep rendered answers in memory in `gazette serve`, dropped when a store change affects them "
        "(false: every request is rendered, as the benchmarks measure).",
        default=True,
    )
    section_hosts: bool = _doc(
        "Serve each section and its articles on a host of its own, `<section-slug>.<base_domain>` (scheme "
        "and port from `base_url`); the front page and every other page stay on `base_domain`.",
        default=False,
    )
    base_domain: str = _doc(
        "The domain the section hosts are named under (`example.org` gives `politics-government.example.org`);"
        " required with `section_hosts`.",
        default="",
    )


@dataclass
class SectionSettings:
    taxonomy: dict[str, str] = _doc(
        "Section slug → display name.", default_factory=lambda: dict(DEFAULT_SECTIONS)
    )
    default: str = _doc("Slug used when neither feed nor classifier decides.", default="society")
    threshold: float = _doc(
        "Classifier confidence below which the feed's default section is used.", default=0.35
    )
    model_path: str = _doc(
        "Site-specific classifier trained by `gazette train-sections` (empty: built-in).", default=""
    )


@dataclass
class BriefSettings:
    sentences: int = _doc("Sentences in an extractive brief.", default=4)
    llm_url: str = _doc(
        "OpenAI-compatible chat-completions endpoint for rewritten briefs (empty: off).", default=""
    )
    llm_model: str = _doc("Model name sent to the endpoint.", default="")
    llm_api_key: str = _doc("API key; from GAZETTE_BRIEF_LLM_API_KEY only.", default="", repr=False)
    llm_timeout: float = _doc("Seconds to wait for the language model.", default=60.0)


# Far above a long read (a 10,000-word article is about 60,000 characters); the cap bounds the time the
# enrichment stages spend on one pathological text (see bench/adversarial.py).
ENRICH_MAX_CHARS = 100_000


@dataclass
class EnrichSettings:
    max_chars: int = _doc(
        "Characters of an article's text that sections, locales, briefs and story features read (the "
        "first ones, cut at a space; the stored text is kept whole).",
        default=ENRICH_MAX_CHARS,
    )


@dataclass
class ScheduleSettings:
    min_interval: float = _doc(
        "Shortest wait between two checks of one feed by `gazette run`, in seconds (at least 1).",
        default=600.0,
    )
    max_interval: float = _doc(
        "Longest wait between two checks of one feed, in seconds; also the cap of a failing feed's backoff.",
        default=86400.0,
    )


@dataclass
class WatchSettings:
    retry_seconds: float = _doc(
        "Wait before the first retry of a failed webhook delivery, in seconds; each further retry waits twice "
        "as long (capped at a day).",
        default=30.0,
    )
    timeout_seconds: float = _doc(
        "Seconds a webhook receiver has to answer one delivery before it counts as failed.", default=10.0
    )


def cpu_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass
class PipelineSettings:
    workers: int = _doc(
        "Processes that extract and enrich pages during `gazette ingest` (default: one per CPU core; "
        "1 keeps the work in the ingesting process).",
        default_factory=cpu_cores,
    )


@dataclass
class Settings:
    database_url: str = _doc("SQLAlchemy URL of the store.", default="sqlite:///gazette.db")
    fetch: FetchSettings = field(default_factory=FetchSettings, metadata={"help": "Fetching."})
    site: SiteSettings = field(default_factory=SiteSettings, metadata={"help": "Publishing."})
    sections: SectionSettings = field(default_factory=SectionSettings, metadata={"help": "Sections."})
    brief: BriefSettings = field(default_factory=BriefSettings, metadata={"help": "Briefs."})
    enrich: EnrichSettings = field(default_factory=EnrichSettings, metadata={"help": "Enrichment."})
    schedule: ScheduleSettings = field(
        default_factory=ScheduleSettings, metadata={"help": "When feeds are checked."}
    )
    pipeline: PipelineSettings = field(
        default_factory=PipelineSettings, metadata={"help": "Ingest processes."}
    )
    watch: WatchSettings = field(
        default_factory=WatchSettings, metadata={"help": "Topic watches and their webhooks."}
    )

    def section_name(self, slug: str) -> str:
        return self.sections.taxonomy.get(slug, slug.replace("-", " ").title())


SECRET_KEYS = {("brief", "llm_api_key")}


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _coerce(value: Any, typ: Any, key: str) -> Any:
    """``value`` as the field's type, or a ConfigError naming ``key``: "ture" is not read as false, 2.5 is
    not read as 2, and "nan" is not a timeout."""
    origin = getattr(typ, "__origin__", None)
    try:
        if typ is bool:
            if isinstance(value, bool):
                return value
            word = str(value).strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ValueError("not a boolean (true or false)")
            return word in TRUE_WORDS
        if typ is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise TypeError("not a whole number")
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if typ is float:
            if isinstance(value, bool):
                raise TypeError("not a number")
            number = float(value)
            if not math.isfinite(number):
                raise ValueError("not a finite number")
            return number
        if typ is str:
            if not isinstance(value, str | int | float):
                raise TypeError(type(value).__name__)
            return str(value)
        if origin is list:
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            return [str(v) for v in value]
        if origin is dict:
            if not isinstance(value, Mapping):
                raise TypeError("expected a table")
            return {str(k): str(v) for k, v in value.items()}
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {key}: cannot read {value!r} ({exc})") from exc
    return value


def _apply(obj: Any, data: Mapping[str, Any], prefix: str) -> None:
    hints = get_type_hints(type(obj))
    names = {f.name for f in fields(obj)}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(f"unknown setting {prefix}{key}")
        typ = hints[key]
        if dataclasses.is_dataclass(typ):
            if not isinstance(value, Mapping):
                raise ConfigError(f"setting {prefix}{key} must be a table")
            _apply(getattr(obj, key), value, f"{prefix}{key}.")
        else:
            setattr(obj, key, _coerce(value, typ, f"{prefix}{key}"))


def _from_env(obj: Any, env: Mapping[str, str], prefix: str, path: tuple[str, ...]) -> None:
    hints = get_type_hints(type(obj))
    for f in fields(obj):
        typ = hints[f.name]
        name = f"{prefix}{f.name.upper()}"
        if dataclasses.is_dataclass(typ):
            _from_env(getattr(obj, f.name), env, name + "_", path + (f.name,))
        elif name in env:
            key = ".".join(path + (f.name,))
            setattr(obj, f.name, _coerce(env[name], typ, f"{key} ({name})"))


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from a TOML file, then the environment, then explicit overrides."""
    env = os.environ if env is None else env
    settings = Settings()
    if path is None:
        path = env.get("GAZETTE_CONFIG") or None
        if path is None and Path("gazette.toml").exists():
            path = "gazette.toml"
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"config file not found: {p}")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {p} is not valid TOML: {exc}") from exc
        for section, key in SECRET_KEYS:
            if key in data.get(section, {}):
                raise ConfigError(
                    f"{section}.{key} is a secret: set GAZETTE_{section.upper()}_{key.upper()} instead"
                )
        _apply(settings, data, "")
    _from_env(settings, env, "GAZETTE_", ())
    if overrides:
        _apply(settings, overrides, "")
    _validate(settings)
    return settings


MAX_PAGE_SIZE = 1000  # a listing page is rendered whole; more rows than this is a typo, not a layout


def _validate(s: Settings) -> None:
    timeouts = {
        "fetch.connect_timeout": s.fetch.connect_timeout,
        "fetch.timeout_seconds": s.fetch.timeout_seconds,
        "fetch.total_timeout": s.fetch.total_timeout,
        "brief.llm_timeout": s.brief.llm_timeout,
    }
    for key, seconds in timeouts.items():
        if seconds <= 0:
            raise ConfigError(f"{key} must be a number of seconds > 0, not {seconds:g}")
    if s.fetch.max_retry_after < 0:
        raise ConfigError("fetch.max_retry_after must be >= 0")
    if s.fetch.max_items < 1:
        raise ConfigError("fetch.max_items must be >= 1")
    if not 1 <= s.site.page_size <= MAX_PAGE_SIZE:
        raise ConfigError(f"site.page_size must be between 1 and {MAX_PAGE_SIZE}")
    if s.brief.sentences < 1:
        raise ConfigError("brief.sentences must be >= 1")
    if s.fetch.delay_seconds < 0:
        raise ConfigError("fetch.delay_seconds must be >= 0")
    if s.fetch.max_bytes <= 0:
        raise ConfigError("fetch.max_bytes must be > 0")
    if not 0 <= s.fetch.max_redirects <= 20:
        raise ConfigError("fetch.max_redirects must be between 0 and 20")
    if s.enrich.max_chars < 1_000:
        raise ConfigError("enrich.max_chars must be at least 1000")
    if s.pipeline.workers < 1:
        raise ConfigError("pipeline.workers must be >= 1")
    if s.sections.default not in s.sections.taxonomy:
        raise ConfigError(f"sections.default {s.sections.default!r} is not in the taxonomy")
    if s.schedule.min_interval < 1:
        raise ConfigError("schedule.min_interval must be at least 1 second")
    if s.schedule.max_interval < s.schedule.min_interval:
        raise ConfigError("schedule.max_interval must be >= schedule.min_interval")
    if not 0.01 <= s.watch.retry_seconds <= 86400:
        raise ConfigError("watch.retry_seconds must be between 0.01 and 86400")
    if not 0.1 <= s.watch.timeout_seconds <= 600:
        raise ConfigError("watch.timeout_seconds must be between 0.1 and 600")
    _validate_hosts(s.site)
    if not s.database_url or "://" not in s.database_url:
        # The value itself is not shown: it may hold a password.
        raise ConfigError("database_url is not a URL (expected e.g. sqlite:///gazette.db)")


# A host name: dot-separated labels of letters, digits and inner hyphens (RFC 1123), no port.
_DOMAIN = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


def _validate_hosts(site: SiteSettings) -> None:
    site.base_domain = site.base_domain.strip().lower().rstrip(".")
    if site.base_domain and not _DOMAIN.fullmatch(site.base_domain):
        raise ConfigError(
            f"site.base_domain {site.base_domain!r} is not a host name (expected e.g. example.org, no scheme or port)"
        )
    if not site.section_hosts:
        return
    if not site.base_domain:
        raise ConfigError("site.base_domain must be set when site.section_hosts is true (e.g. example.org)")
    if not site.base_url.lower().startswith(("http://", "https://")):
        raise ConfigError("site.base_url must be an http(s) URL when site.section_hosts is true")


MASK = "***"
_USERINFO = re.compile(
    r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@]*):(?P<password>.*)@(?P<rest>[^@]*)$", re.S
)


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (``postgresql://app:***@db/news``), for anything shown or
    logged. A URL too odd to parse gets everything between ``user:`` and the last ``@`` masked."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.password is None:
            return url
        return parsed.render_as_string(hide_password=True)
    except Exception:  # ArgumentError, ValueError (a bad port): fall back to the pattern
        match = _USERINFO.match(url)
        if match is None:
            return url
        return f"{match['head']}:{MASK}@{match['rest']}"


def url_password(url: str) -> str | None:
    """The password a URL holds, as written (``mask_secrets`` also masks its decoded form)."""
    match = _USERINFO.match(url)
    if match is None or not match["password"]:
        return None
    return match["password"]


def mask_secrets(text: str, url: str) -> str:
    """``text`` (an error message, say) with the URL's password masked wherever it appears."""
    from urllib.parse import unquote

    password = url_password(url)
    if not password:
        return text
    for form in sorted({password, unquote(password)}, key=len, reverse=True):
        if form:
            text = text.replace(form, MASK)
    return text


def describe_settings(settings: Settings) -> list[tuple[str, str, str]]:
    """(key, value, help) for every setting, secrets masked — for `gazette config` and the docs test."""
    out: list[tuple[str, str, str]] = []

    def walk(obj: Any, prefix: str, section: str) -> None:
        for f in fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.", f.name)
                continue
            if (section, f.name) in SECRET_KEYS and value:
                shown = "****"
            elif f.name == "database_url":
                shown = repr(mask_url(value))
            else:
                shown = repr(value)
            out.append((prefix + f.name, shown, f.metadata.get("help", "")))

    walk(settings, "", "")
    return out
