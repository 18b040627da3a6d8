"""Write WARC files of realistic synthetic news articles, for backfill and scale benchmarks (our own generator).

What the corpus holds, and why it is shaped so:
- events, each filed in one of the ten sections and set in one place (a city of a country), with its own
  people, numbers and words; 1 to 4 sources report each one (so stories have several sources), hours apart;
- 16 sources: 11 write in English, 5 in Spanish (a Spanish source writes about the event in Spanish);
- article length drawn from a log-normal (median about 450 words, 120 to 2,000), titles from section patterns;
- about 7 % of the articles are near-duplicates: another source republishing an earlier article of the same
  event with a new first line and a few words changed (wire copy), which dedup must link;
- ``--per-day`` articles a day (default 100,000, the issue's synthetic stream), from ``--start``.

Every page is a whole HTML document with the metadata extractors read (title, og: tags, published time,
language); every record is an HTTP 200 ``text/html`` response, WARC-Date a few minutes after publication.
Files hold ``--per-file`` records, one gzip member per record (so a backfill can split them into ranges), and
are written by ``--jobs`` processes at once. The same ``--seed`` gives the same corpus.

Usage: ``python bench/make_corpus.py --articles 100000 --out /tmp/corpus``
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import random
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

SOURCES_EN = [
    "harbour-ledger.example",
    "valley-courier.example",
    "northern-times.example",
    "capital-post.example",
    "daily-meridian.example",
    "coastal-herald.example",
    "the-observer-wire.example",
    "metro-gazette.example",
    "plains-tribune.example",
    "river-city-news.example",
    "evening-standard-online.example",
]
SOURCES_ES = [
    "diario-del-llano.example",
    "el-correo-austral.example",
    "la-voz-del-puerto.example",
    "noticias-del-valle.example",
    "el-heraldo-andino.example",
]
PLACES = [
    ("Lisbon", "Portugal"),
    ("Porto", "Portugal"),
    ("Madrid", "Spain"),
    ("Seville", "Spain"),
    ("Valencia", "Spain"),
    ("Lyon", "France"),
    ("Marseille", "France"),
    ("Hamburg", "Germany"),
    ("Munich", "Germany"),
    ("Milan", "Italy"),
    ("Naples", "Italy"),
    ("Manchester", "United Kingdom"),
    ("Glasgow", "United Kingdom"),
    ("Dublin", "Ireland"),
    ("Boston", "United States"),
    ("Denver", "United States"),
    ("Houston", "United States"),
    ("Toronto", "Canada"),
    ("Vancouver", "Canada"),
    ("Mexico City", "Mexico"),
    ("Guadalajara", "Mexico"),
    ("Bogotá", "Colombia"),
    ("Medellín", "Colombia"),
    ("Caracas", "Venezuela"),
    ("Maracaibo", "Venezuela"),
    ("Lima", "Peru"),
    ("Santiago", "Chile"),
    ("Buenos Aires", "Argentina"),
    ("Córdoba", "Argentina"),
    ("São Paulo", "Brazil"),
    ("Nairobi", "Kenya"),
    ("Lagos", "Nigeria"),
    ("Cairo", "Egypt"),
    ("Mumbai", "India"),
    ("Jakarta", "Indonesia"),
    ("Sydney", "Australia"),
]
FIRST = "Ana Luis Maria Jorge Elena Pedro Sofia Tomas Laura Diego Irene Pablo Nora Hugo Clara Ivan Marta Raul".split()
LAST = (
    "Garcia Moreno Hollow Benedek Castillo Okafor Lindqvist Varga Mendes Rahman Duarte Novak Ferreira "
    "Whitaker Sato Adeyemi Rossi Keller Navarro Quintero"
).split()

# section: (English topic words, Spanish topic words, English title patterns, Spanish title patterns)
SECTIONS: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "politics-government": (
        "parliament vote minister coalition election budget opposition reform senator mayor council law".split(),
        "parlamento votación ministro coalición elecciones presupuesto oposición reforma alcalde ley".split(),
        ["{place} council approves {noun} plan after long debate", "Minister {person} faces vote on {noun}"],
        ["El concejo de {place} aprueba el plan de {noun}", "El ministro {person} enfrenta una votación"],
    ),
    "business-finance": (
        "shares profit investors market bank inflation exports merger earnings factory jobs prices".split(),
        "acciones ganancias inversores mercado banco inflación exportaciones fusión empleo precios".split(),
        ["{place} factory to cut {number} jobs as {noun} slows", "Shares of {person}'s firm jump on {noun}"],
        ["Fábrica de {place} recortará {number} empleos", "Suben las acciones tras el anuncio de {noun}"],
    ),
    "science-technology": (
        "researchers study satellite software data laboratory telescope battery chip network energy".split(),
        "investigadores estudio satélite programa datos laboratorio telescopio batería red energía".split(),
        ["Researchers in {place} unveil new {noun}", "{person} team reports {noun} breakthrough"],
        ["Investigadores de {place} presentan un nuevo {noun}", "El equipo de {person} logra un avance"],
    ),
    "health": (
        "hospital patients vaccine doctors clinic virus treatment nurses outbreak health care trial".split(),
        "hospital pacientes vacuna médicos clínica virus tratamiento enfermeras brote salud ensayo".split(),
        ["{place} hospitals strain as {noun} cases rise", "Doctors in {place} test new {noun} treatment"],
        ["Hospitales de {place} bajo presión por {noun}", "Médicos de {place} prueban un tratamiento"],
    ),
    "sports": (
        "match goal season coach league players championship final striker stadium fans title".split(),
        "partido gol temporada entrenador liga jugadores campeonato final delantero estadio afición".split(),
        ["{place} wins {noun} final in extra time", "{person} scores twice as {place} stays top"],
        ["{place} gana la final de {noun} en la prórroga", "{person} marca dos goles y {place} sigue líder"],
    ),
    "arts-entertainment": (
        "festival film museum concert album director exhibition theatre artist novel audience".split(),
        "festival película museo concierto álbum director exposición teatro artista novela público".split(),
        ["{place} festival opens with {noun} premiere", "{person} brings new {noun} to {place}"],
        ["El festival de {place} abre con el estreno de {noun}", "{person} presenta su {noun} en {place}"],
    ),
    "crime-justice": (
        "police court trial judge arrest prosecutors investigation sentence suspects charges".split(),
        "policía tribunal juicio juez detención fiscales investigación condena sospechosos cargos".split(),
        ["{place} police arrest {number} in {noun} inquiry", "Judge sentences {person} in {noun} case"],
        ["La policía de {place} detiene a {number} personas", "El juez condena a {person} por {noun}"],
    ),
    "conflict-security": (
        "troops ceasefire border attack military talks soldiers security forces refugees".split(),
        "tropas alto el fuego frontera ataque militares diálogo soldados seguridad refugiados".split(),
        ["Ceasefire talks resume near {place}", "{number} displaced after clashes outside {place}"],
        ["Se reanudan las conversaciones cerca de {place}", "{number} desplazados tras choques en {place}"],
    ),
    "environment": (
        "flood drought emissions wildfire rainfall river climate forest pollution water heat".split(),
        "inundación sequía emisiones incendio lluvias río clima bosque contaminación agua calor".split(),
        ["{place} river floods {number} hectares of farmland", "Wildfire near {place} forces evacuations"],
        [
            "El río inunda {number} hectáreas cerca de {place}",
            "Un incendio cerca de {place} obliga a evacuar",
        ],
    ),
    "society": (
        "schools housing families residents community teachers students rent neighbourhood volunteers".split(),
        "escuelas vivienda familias vecinos comunidad maestros estudiantes alquiler barrio voluntarios".split(),
        ["{place} families protest rising {noun} costs", "Teachers in {place} back {noun} plan"],
        ["Familias de {place} protestan por el costo de {noun}", "Maestros de {place} apoyan el plan"],
    ),
}
FILLER_EN = (
    "the officials said on Monday that the decision would be reviewed later this month while residents "
    "waited for more details about what it would mean for them and their neighbours in the coming weeks "
    "according to people familiar with the matter who spoke on condition that they not be named"
).split()
FILLER_ES = (
    "los funcionarios dijeron el lunes que la decisión sería revisada a finales de este mes mientras los "
    "vecinos esperaban más detalles sobre lo que significaría para ellos y sus familias en las próximas "
    "semanas según personas que conocen el asunto y que pidieron no ser identificadas"
).split()
DUPLICATE_SHARE = 0.07


_POOLS: dict[tuple[str, str], np.ndarray] = {}
_ONSETS = "b c d f g l m n p r s t v br cr pl tr".split()
_VOWELS = "a e i o u ia io ue".split()
_CODAS = ["", "", "n", "r", "s", "l"]
# Proper-noun-like and content words of our own making (no real vocabulary is copied): each event draws its
# own few dozen, so two events share little beyond common words, as two real stories do.
VOCABULARY = np.array(
    sorted(
        {
            o1 + v1 + o2 + v2 + c
            for o1 in _ONSETS
            for v1 in _VOWELS
            for o2 in _ONSETS[:10]
            for v2 in _VOWELS[:5]
            for c in _CODAS[2:]
        }
    ),
    dtype=object,
)


def _pool(section: str, lang: str) -> np.ndarray:
    """The common words of an article of this section: filler, and the section's topic words a quarter of the
    time."""
    key = (section, lang)
    if key not in _POOLS:
        topic_en, topic_es, _, _ = SECTIONS[section]
        filler, topic = (FILLER_ES, topic_es) if lang == "es" else (FILLER_EN, topic_en)
        _POOLS[key] = np.array(filler * len(topic) + topic * (len(filler) // 3), dtype=object)
    return _POOLS[key]


def _article(
    rng: random.Random, nrng: np.random.Generator, event: dict[str, object], lang: str
) -> tuple[str, list[str]]:
    section = str(event["section"])
    topic_en, topic_es, titles_en, titles_es = SECTIONS[section]
    topic, titles = (topic_es, titles_es) if lang == "es" else (topic_en, titles_en)
    facts = list(event["facts"])  # type: ignore[call-overload]
    title = rng.choice(titles).format(
        place=event["place"], person=event["person"], number=event["number"], noun=rng.choice(topic)
    )
    total = max(120, min(2000, int(rng.lognormvariate(math.log(450), 0.55))))
    pool = _pool(section, lang)
    own = event["words"]  # the event's own words, half of every article about it
    words = pool[nrng.integers(0, len(pool), size=total)].tolist()
    for i in nrng.choice(total, size=total // 2, replace=False).tolist():
        words[i] = own[i % len(own)]  # type: ignore[index]
    lengths = nrng.integers(12, 27, size=total // 12 + 1).tolist()
    sentences: list[str] = []
    at = 0
    for n in lengths:
        if at >= total:
            break
        chunk = words[at : at + n]
        at += n
        if rng.random() < 0.6:
            chunk.insert(rng.randrange(len(chunk)), rng.choice(facts))
        text = " ".join(chunk)
        sentences.append(text[0].upper() + text[1:] + ".")
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    lead = f"{event['place']}, {event['country']}: {event['person']} {rng.choice(topic)} {event['number']}."
    return title, [lead] + paragraphs


def _near_copy(rng: random.Random, paragraphs: list[str]) -> list[str]:
    words = " ".join(paragraphs[1:]).split()
    for _ in range(max(1, len(words) // 60)):
        words[rng.randrange(len(words))] = rng.choice(FILLER_EN)
    size = max(1, len(words) // max(1, len(paragraphs) - 1))
    body = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return ["Republished with permission from a partner newsroom."] + body


def _html(title: str, paragraphs: list[str], when: datetime, host: str, lang: str, author: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    site = host.removesuffix(".example").replace("-", " ").title()
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} | {site}</title>'
        f'<meta property="og:title" content="{title}"><meta property="og:site_name" content="{site}">'
        f'<meta name="author" content="{author}">'
        f'<meta property="article:published_time" content="{when.strftime("%Y-%m-%dT%H:%M:%SZ")}">'
        f"</head><body><header><nav><a href='/'>Home</a> <a href='/world/'>World</a> "
        f"<a href='/business/'>Business</a> <a href='/sport/'>Sport</a></nav></header>"
        f"<main><article><h1>{title}</h1><p class='byline'>By {author}</p>{body}</article></main>"
        f"<aside><h2>Most read</h2><ul><li><a href='/a'>Weather this week</a></li></ul></aside>"
        f"<footer>&copy; {when.year} {site}. All rights reserved.</footer></body></html>"
    ).encode()


def _record(url: str, body: bytes, when: datetime) -> bytes:
    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    head = (
        f"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.UUID(int=random.getrandbits(128))}>\r\n"
        f"WARC-Date: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}\r\nWARC-Target-URI: {url}\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return head + http + b"\r\n\r\n"


def write_file(path: Path, first: int, count: int, seed: int, start: datetime, per_day: int) -> int:
    """Write articles ``first`` … ``first + count - 1`` of the corpus to one WARC.gz file; returns the count."""
    rng = random.Random(seed * 1_000_003 + first)
    nrng = np.random.default_rng(seed * 1_000_003 + first)
    random.seed(seed * 7 + first)  # record ids
    seconds_per_article = 86_400 / per_day
    written = 0
    with path.open("wb") as f:
        while written < count:
            number = first + written
            when = start + timedelta(seconds=number * seconds_per_article)
            section = rng.choice(list(SECTIONS))
            place, country = rng.choice(PLACES)
            person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            event = {
                "section": section,
                "place": place,
                "country": country,
                "person": person,
                "number": rng.randint(3, 5000),
                "facts": [place, person, country, str(rng.randint(10, 999))],
                "words": VOCABULARY[nrng.integers(0, len(VOCABULARY), size=40)].tolist(),
            }
            reporters = min(count - written, rng.choice([1, 1, 2, 2, 3, 4]))
            hosts = rng.sample(SOURCES_EN + SOURCES_ES, reporters)
            first_text: list[str] | None = None
            for i, host in enumerate(hosts):
                lang = "es" if host in SOURCES_ES else "en"
                published = when + timedelta(minutes=rng.randint(0, 240) + i * 30)
                title, paragraphs = _article(rng, nrng, event, lang)
                if first_text is not None and rng.random() < DUPLICATE_SHARE * 3.0 and lang == "en":
                    paragraphs = _near_copy(rng, first_text)
                elif lang == "en" and first_text is None:
                    first_text = paragraphs
                slug = "-".join(title.lower().split()[:8]).replace("'", "").replace(",", "")
                url = f"https://www.{host}/{published:%Y/%m/%d}/{slug}-{first + written}"
                author = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                body = _html(title, paragraphs, published, host, lang, author)
                f.write(gzip.compress(_record(url, body, published + timedelta(minutes=5)), 1))
                written += 1
    return written


def make_corpus(
    articles: int,
    out: Path,
    *,
    per_file: int = 10_000,
    seed: int = 1,
    jobs: int | None = None,
    start: datetime = datetime(2025, 1, 1, tzinfo=UTC),
    per_day: int = 100_000,
) -> list[Path]:
    """Write the corpus as ``ceil(articles / per_file)`` WARC.gz files in ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    parts = [(i, min(per_file, articles - i)) for i in range(0, articles, per_file)]
    paths = [out / f"synthetic-{n:05d}.warc.gz" for n in range(len(parts))]
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = [
            pool.submit(write_file, path, first, count, seed, start, per_day)
            for path, (first, count) in zip(paths, parts, strict=True)
        ]
        total = sum(f.result() for f in futures)
    assert total == articles
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write WARC files of synthetic news articles.")
    parser.add_argument("--articles", type=int, required=True, help="How many articles (records) to write.")
    parser.add_argument("--out", type=Path, required=True, help="Folder for the WARC.gz files.")
    parser.add_argument("--per-file", type=int, default=10_000, help="Records per file (default 10,000).")
    parser.add_argument("--per-day", type=int, default=100_000, help="Articles per day (default 100,000).")
    parser.add_argument("--seed", type=int, default=1, help="The same seed writes the same corpus.")
    parser.add_argument("--jobs", type=int, default=None, help="Processes writing files (default: CPUs).")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.per_file < 1 or args.per_day < 1:
        print("error: --articles, --per-file and --per-day must be positive", file=sys.stderr)
        return 2
    started = time.perf_counter()
    paths = make_corpus(
        args.articles, args.out, per_file=args.per_file, seed=args.seed, jobs=args.jobs, per_day=args.per_day
    )
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in paths)
    print(
        f"wrote {args.articles:,} articles in {len(paths)} files to {args.out} "
        f"({size / 1e6:,.1f} MB) in {seconds:.1f} s ({args.articles / seconds:,.0f} articles/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
