"""Publish: HTTP answers with validators — ETag, Last-Modified, Cache-Control, and 304 on revalidation.

Pages, feeds, assets and the JSON API all answer through ``respond``, so every one of them can be revalidated
(and kept by ``cache.py`` in front of the app).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from fastapi import Request, Response

from gazette.publish.pages import Rendered
from gazette.revalidation import http_date, is_not_modified

JSON = "application/json"


def etag_for(body: bytes) -> str:
    """A strong validator: the body's digest, so equal bodies (from any process) get equal tags."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    headers = request.headers
    return is_not_modified(
        headers.get("if-none-match"), headers.get("if-modified-since"), etag, last_modified
    )


def respond(request: Request, rendered: Rendered, status_code: int = 200) -> Response:
    """A response with ETag, Last-Modified and Cache-Control; 304 when the client's copy is current."""
    body = rendered.body.encode("utf-8") if isinstance(rendered.body, str) else rendered.body
    etag = etag_for(body)
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={rendered.max_age}" if rendered.max_age else "no-cache",
    }
    if rendered.immutable:
        headers["Cache-Control"] += ", immutable"
    if rendered.last_modified is not None:
        headers["Last-Modified"] = http_date(rendered.last_modified)
    if status_code == 200 and _not_modified(request, etag, rendered.last_modified):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status_code, media_type=rendered.media_type, headers=headers)


def respond_json(
    request: Request, payload: Any, *, last_modified: datetime | None = None, max_age: int = 60
) -> Response:
    """A JSON API answer, with the same validators as a page."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return respond(request, Rendered(body, media_type=JSON, last_modified=last_modified, max_age=max_age))
