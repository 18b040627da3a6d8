"""Enrichment, briefs: ask an OpenAI-compatible chat-completions endpoint to rewrite a brief.

Failures surface as the fetch errors of ``gazette.errors`` (``FetchTimeout``, ``HTTPStatusError``,
``FetchError`` for a connection failure or an answer we cannot read), so the caller can fall back
to the extractive brief and say why.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import httpx

from gazette.config import BriefSettings
from gazette.errors import FetchError, FetchTimeout, HTTPStatusError

logger = logging.getLogger(__name__)

RETRIES = 2  # attempts after the first, for timeouts, connection errors, 429 and 5xx
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt
MAX_SOURCE_CHARS = 12_000  # keeps long articles inside a small model's context
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_LIST_MARK = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")

LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
}

SYSTEM_PROMPT = (
    "You write short, faithful news briefs. Use only facts stated in the article. Copy names, "
    "numbers and any quotation exactly as the article gives them; never invent a quotation, a name, "
    "a number or a claim. Each sentence should restate one or two neighbouring sentences of the "
    "article. Answer with the brief only: one sentence per line, no numbering, no title."
)


def completions_url(url: str) -> str:
    """Accept a server root, a ``…/v1`` base or the full ``…/v1/chat/completions`` URL."""
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if url.endswith("/v1"):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


def build_messages(
    text: str, *, sentences: int, title: str | None = None, language: str | None = None
) -> list[dict[str, str]]:
    lang = LANGUAGES.get((language or "").split("-")[0].lower(), "the article's language")
    article = text[:MAX_SOURCE_CHARS]
    heading = f"Title: {title}\n\n" if title else ""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {
            "role": "user",
            "content": (
                f"Write a brief of {sentences} sentences (80 to 150 words in all) in {lang} "
                f"for this article.\n\n{heading}Article:\n{article}"
            ),
        },
    ]


def parse_reply(content: str) -> list[str]:
    """The model's lines, without list marks or blank lines."""
    lines = []
    for line in content.splitlines():
        line = _LIST_MARK.sub("", line).strip()
        if line:
            lines.append(line)
    return lines


def request_rewrite(
    text: str,
    settings: BriefSettings,
    *,
    title: str | None = None,
    language: str | None = None,
    client: httpx.Client | None = None,
) -> str:
    """The model's brief for ``text`` as plain text (retried; raises ``FetchError`` subclasses)."""
    url = completions_url(settings.llm_url)
    payload: dict[str, Any] = {
        "model": settings.llm_model or "default",
        "messages": build_messages(text, sentences=settings.sentences, title=title, language=language),
        "temperature": 0,
        "max_tokens": 400,
        "stream": False,
    }
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    own_client = client is None
    http = client or httpx.Client(timeout=settings.llm_timeout, trust_env=False)
    try:
        return _post_with_retries(http, url, payload, headers)
    finally:
        if own_client:
            http.close()


def _post_with_retries(http: httpx.Client, url: str, payload: dict[str, Any], headers: dict[str, str]) -> str:
    delay = BACKOFF_SECONDS
    for attempt in range(RETRIES + 1):
        last = attempt == RETRIES
        try:
            response = http.post(url, json=payload, headers=headers)
        except httpx.TimeoutException as exc:
            if last:
                raise FetchTimeout(url, "language model timed out") from exc
            logger.info("language model timed out (attempt %d), retrying", attempt + 1, extra={"url": url})
        except httpx.HTTPError as exc:
            if last:
                raise FetchError(url, f"language model unreachable: {exc}") from exc
            logger.info("language model unreachable (attempt %d): %s", attempt + 1, exc, extra={"url": url})
        else:
            if response.status_code == 200:
                return _content(url, response)
            retry_after = _retry_after(response)
            if last or response.status_code not in _RETRY_STATUS:
                raise HTTPStatusError(url, response.status_code, retry_after)
            logger.info(
                "language model answered HTTP %d (attempt %d), retrying",
                response.status_code,
                attempt + 1,
                extra={"url": url},
            )
            if retry_after is not None:
                delay = max(delay, min(retry_after, 10.0))
        time.sleep(delay)
        delay *= 2
    raise FetchError(url, "language model gave no answer")  # pragma: no cover - loop always returns or raises


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


def _content(url: str, response: httpx.Response) -> str:
    try:
        data = response.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise FetchError(url, "language model answer is not a chat completion") from exc
    if not isinstance(content, str) or not content.strip():
        raise FetchError(url, "language model answered with no text")
    return content
