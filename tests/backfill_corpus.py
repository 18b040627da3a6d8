"""A small WARC written for the backfill tests, with what a backfill of it must give.

Expectations the tests rely on (kept here, next to the data):
- 12 HTTP response records in all, plus one request record and one warcinfo record (neither is counted).
- 9 HTML articles on 3 events, each reported by 3 sources (harbour-ledger.example, valley-courier.example,
  www.llano-diario.example), every one with its own publication date; the third source copies the first
  source's text of the port strike almost word for word (a near-duplicate: 1 of the 9).
- 1 image (not HTML), 1 404 answer and 1 page too thin to be an article: 2 skipped, 1 failed.
So a first backfill prints ``backfilled 12 records: 8 new, 1 duplicates, 2 skipped, 1 failed`` and a second one
``backfilled 12 records: 0 new, 0 duplicates, 11 skipped, 1 failed``.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gazette.ingest.warc import response_record

SOURCES = ["harbour-ledger.example", "valley-courier.example", "www.llano-diario.example"]
BASE = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)

EVENTS = [
    (
        "port-strike",
        "Dock workers strike at Port Marlow over night shifts",
        [
            "Dock workers at Port Marlow walked off the job on Monday after talks with the Marlow Harbour "
            "Authority over night-shift pay broke down, leaving forty container ships waiting offshore.",
            "The Marlow Dockers Union said its 2,300 members would stay out until the authority restored the "
            "night-shift premium it cut in January, which union leader Agnes Hollow called a broken promise.",
            "The harbour authority said the premium had been replaced by a new rota and that it was ready to "
            "return to the table, but only if the cranes were running again by Wednesday morning.",
            "Shipping agents said perishable cargo, mostly fruit from the southern farms, would start to spoil "
            "within days if the Port Marlow berths stayed closed through the week.",
        ],
    ),
    (
        "river-flood",
        "Kessel River floods farmland as rain keeps falling",
        [
            "The Kessel River burst its banks north of Dunmore on Tuesday, flooding about 1,800 hectares of "
            "farmland and cutting the county road between Dunmore and Alder Crossing.",
            "Emergency crews moved 140 residents from low-lying houses near the Alder Crossing bridge, and the "
            "county opened the Dunmore school gymnasium as a shelter for the night.",
            "Forecasters expect another 60 millimetres of rain over the Kessel valley before Friday, and the "
            "river authority warned that the levee at Orchard Bend was close to overtopping.",
            "Farmers said the winter wheat under water would likely be lost, and asked the regional government "
            "for emergency payments before the spring planting.",
        ],
    ),
    (
        "bridge-vote",
        "Council approves new Selwyn Bridge after long debate",
        [
            "The Selwyn city council voted 9 to 4 on Wednesday to replace the ageing Selwyn Bridge with a "
            "four-lane span, ending a debate over its cost that has run for three years.",
            "Mayor Rosa Benedek said the 212 million project would be paid for with a regional grant and a "
            "bond, and that construction would start in the autumn once the design is final.",
            "Opponents on the council argued that repairing the old bridge would cost a third as much and "
            "warned that tolls on the new span would fall hardest on commuters from Eastgate.",
            "Engineers found last year that two of the bridge's piers had lost much of their strength, and "
            "heavy lorries have been banned from the crossing since October.",
        ],
    ),
]


_OWN_WORDS = {
    1: [
        "Our correspondent spent the day with the people most affected and heard a range of views.",
        "Several of them asked not to be named, saying they feared for their jobs or their homes.",
        "Local officials promised an update later in the week, though none would give a date.",
    ],
    2: [
        "Readers have written to this paper with questions about what happens next.",
        "Here is what is known so far, and what remains unclear after a day of statements.",
        "We will keep this report updated as more information becomes available.",
    ],
}


def _rewrite(paragraphs: list[str], variant: int) -> list[str]:
    """Another source's account of the same event: some of the same facts among words of its own."""
    if variant == 0:
        return paragraphs
    own = _OWN_WORDS[variant]
    kept = [paragraphs[0], paragraphs[2]] if variant == 1 else [paragraphs[1], paragraphs[3]]
    return [own[0], kept[0], own[1], kept[1], own[2]]


def article_html(title: str, paragraphs: list[str], when: datetime, site: str, lang: str = "en") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} - {site}</title>'
        f'<meta property="og:title" content="{title}">'
        f'<meta property="article:published_time" content="{when.isoformat()}">'
        f'<meta property="og:site_name" content="{site}"></head><body>'
        f"<nav><a href='/'>Home</a> <a href='/news/'>News</a></nav>"
        f"<article><h1>{title}</h1><p class='byline'>By Staff</p>{body}</article>"
        f"<footer>Copyright {site}</footer></body></html>"
    ).encode()


def records() -> list[bytes]:
    """Every record of the WARC, in file order."""
    out: list[bytes] = [
        b"WARC/1.1\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Date: 2026-03-10T00:00:00Z\r\nContent-Type: application/warc-fields\r\nContent-Length: 19\r\n\r\n"
        b"software: gazette\r\n\r\n\r\n"
    ]
    n = 0
    for e, (slug, title, paragraphs) in enumerate(EVENTS):
        for s, host in enumerate(SOURCES):
            when = BASE + timedelta(days=e * 5, hours=s * 3)
            if slug == "port-strike" and s == 2:
                text = [p.replace("Monday", "Monday morning") for p in paragraphs]  # a near-copy of source 0
            else:
                text = _rewrite(paragraphs, s)
            # each source words its own headline: two articles with one title on one day would get their slugs
            # ("…" and "…-2") in the order they are stored, which parallel workers do not fix
            headline = [title, f"{title}, officials say", f"Update: {title}"][s]
            html = article_html(headline, text, when, host)
            out.append(response_record(f"https://{host}/news/{slug}-{s}", html, when + timedelta(minutes=5)))
            n += 1
    request = (
        b"WARC/1.1\r\nWARC-Type: request\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
        b"WARC-Date: 2026-03-10T00:00:00Z\r\nWARC-Target-URI: https://harbour-ledger.example/logo.png\r\n"
        b"Content-Type: application/http; msgtype=request\r\nContent-Length: 18\r\n\r\nGET /logo.png HTTP\r\n\r\n"
    )
    out.append(request)
    when = BASE + timedelta(days=20)
    out.append(
        response_record(
            "https://harbour-ledger.example/logo.png", b"\x89PNG\r\n\x1a\n", when, content_type="image/png"
        )
    )
    out.append(
        response_record("https://valley-courier.example/gone", b"<html>Not found</html>", when, status=404)
    )
    thin = b"<html><head><title>Menu</title></head><body><a href='/'>Home</a></body></html>"
    out.append(response_record("https://valley-courier.example/menu", thin, when))
    return out


def write_warc(path: Path, *, gz: bool = False) -> Path:
    """Write the WARC (one gzip member per record when ``gz``); returns the path."""
    with path.open("wb") as f:
        for record in records():
            f.write(gzip.compress(record, 6) if gz else record)
    return path
