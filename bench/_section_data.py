"""Training and evaluation material for sections, shared by ``_build_sections_model.py`` and ``sections.py``.

- BBC News (Greene & Cunningham 2006; research use): 2,225 articles in 5 classes, mapped to our sections.
- IPTC Media Topics (2019-04-06, en-GB; CC BY 4.0): every concept's label and definition, filed in the
  section of its top-level topic.
- ``data/sections_examples.jsonl``: short news items written for Gazette (English and Spanish), a dozen or
  so per section.
- ``data/sections_examples_wire.jsonl``: 164 more wire-style items written for Gazette (crime, conflict and
  disasters, politics, science and technology, business, sports, a few of the rest); training material
  beside the first file since the second shipped model (docs/sections.md).
- ``data/sections_dev.jsonl``: the dev set, 100 short news items written for Gazette in four broad topics
  (world, business, sports, sci/tech), never used in training.
- ``data/sections_unseen.tsv``: the unseen set, real news articles from data sets that are neither section
  labelled nor training material (LGL, GeoVirus and TR-News from geoparsing/, Multi-News from clustering/,
  the story-pairs articles, the extraction benchmark's ground truth), labelled by hand in the same four topics.
  It holds only ids and labels; the texts are read from the data sets. Never used in training.
- ``data/sections_fresh.tsv``: the fresh set, every distinct article of FRANK (faithfulness/frank/: CNN/Daily
  Mail and BBC articles of a summarisation benchmark), labelled by hand in the same four topics and committed
  before any section model ran on them; ids and labels only. Never used in training or tuning.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from _datasets import datasets_dir

from gazette.enrich.sections import LabelledArticle

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "data" / "sections_examples.jsonl"
WIRE_EXAMPLES = HERE / "data" / "sections_examples_wire.jsonl"
DEV = HERE / "data" / "sections_dev.jsonl"
UNSEEN = HERE / "data" / "sections_unseen.tsv"
FRESH = HERE / "data" / "sections_fresh.tsv"

BBC_TO_SECTION = {
    "business": "business-finance",
    "entertainment": "arts-entertainment",
    "politics": "politics-government",
    "sport": "sports",
    "tech": "science-technology",
}
# IPTC Media Topics top level (qcode) → our section (docs/sections.md).
IPTC_TO_SECTION = {
    "medtop:01000000": "arts-entertainment",
    "medtop:02000000": "crime-justice",
    "medtop:03000000": "conflict-security",
    "medtop:04000000": "business-finance",
    "medtop:05000000": "society",
    "medtop:06000000": "environment",
    "medtop:07000000": "health",
    "medtop:08000000": "society",
    "medtop:09000000": "society",
    "medtop:10000000": "society",
    "medtop:11000000": "politics-government",
    "medtop:12000000": "society",
    "medtop:13000000": "science-technology",
    "medtop:14000000": "society",
    "medtop:15000000": "sports",
    "medtop:16000000": "conflict-security",
    "medtop:17000000": "environment",
}
# The dev set's four topics and the sections that count as right for each.
DEV_TOPICS = {
    "world": {"politics-government", "conflict-security", "crime-justice"},
    "business": {"business-finance"},
    "sports": {"sports"},
    "scitech": {"science-technology"},
}


def _read(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def load_bbc(root: Path | None = None) -> list[LabelledArticle]:
    """Every BBC article as (title, body, mapped section), in a fixed order."""
    base = (root or datasets_dir("bbc-news")) / "bbc-news" / "bbc"
    items = []
    for cls, slug in BBC_TO_SECTION.items():
        for path in sorted((base / cls).glob("*.txt")):
            lines = _read(path).strip().splitlines()
            items.append(LabelledArticle(lines[0].strip(), "\n".join(lines[1:]).strip(), slug))
    return items


def lead(item: LabelledArticle) -> LabelledArticle:
    """The same article cut to its title and first paragraph (short items teach short news)."""
    first = next((p for p in item.text.split("\n") if p.strip()), "")
    return LabelledArticle(item.title, first.strip(), item.section)


def load_iptc(root: Path | None = None) -> list[LabelledArticle]:
    """One item per IPTC Media Topics concept: its label as title, its definition as text."""
    path = (root or datasets_dir("iptc-mediatopics")) / "iptc-mediatopics" / "mediatopic-en-GB-2019.json"
    concepts = {c["qcode"]: c for c in json.loads(path.read_text(encoding="utf-8"))["conceptSet"]}

    def top(qcode: str) -> str:
        seen = set()
        while concepts[qcode].get("broader") and qcode not in seen:
            seen.add(qcode)
            parent = concepts[qcode]["broader"][0]
            qcode = "medtop:" + parent.rsplit("/", 1)[-1] if "/" in parent else parent
        return qcode

    items = []
    for qcode in sorted(concepts):
        c = concepts[qcode]
        section = IPTC_TO_SECTION.get(top(qcode))
        label = c.get("prefLabel", {}).get("en-GB", "")
        definition = c.get("definition", {}).get("en-GB", "")
        if section and label:
            items.append(LabelledArticle(label, definition, section))
    return items


def load_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_examples() -> list[LabelledArticle]:
    """The short news items written for Gazette as training examples (both files: 128 + 164)."""
    return [
        LabelledArticle(o["title"], o["text"], o["section"])
        for path in (EXAMPLES, WIRE_EXAMPLES)
        for o in load_jsonl(path)
    ]


def load_dev() -> list[tuple[str, str, str]]:
    """The dev set: (title, text, topic)."""
    return [(o["title"], o["text"], o["topic"]) for o in load_jsonl(DEV)]


def training_groups(bbc: list[LabelledArticle]) -> dict[str, list[LabelledArticle]]:
    """What the shipped model learns from, by kind, given the BBC articles to use (all of them, or training
    folds): ``bbc`` (whole articles), ``lead`` (the same articles cut to title and first paragraph, in the same
    order), ``iptc`` and ``examples``. The build weights each kind (``GROUP_WEIGHTS`` there)."""
    return {
        "bbc": bbc,
        "lead": [lead(it) for it in bbc],
        "iptc": load_iptc(),
        "examples": load_examples(),
    }


def training_material(bbc: list[LabelledArticle]) -> list[LabelledArticle]:
    """``training_groups`` in one list."""
    return [it for items in training_groups(bbc).values() for it in items]


# -- the unseen set: real news from data sets that carry no section labels ---------------------------------

# The geoparsing corpora's XML files, under geoparsing/pragmatic-guide/data/Corpora/.
_CORPORA = {"lgl": "lgl.xml", "trnews": "TR-News.xml", "geovirus": "GeoVirus.xml"}


def _field(node: ET.Element, tag: str) -> str:
    return (
        " ".join((node.findtext(tag) or "").split()) if tag != "text" else (node.findtext(tag) or "").strip()
    )


def _geoparsing(root: Path, source: str) -> Iterator[tuple[str, str, str]]:
    """(id, title, text) of each article of one geoparsing corpus; GeoVirus (WikiNews) has its headline in
    its page address, the others an id and a title."""
    path = root / "geoparsing" / "pragmatic-guide" / "data" / "Corpora" / _CORPORA[source]
    for i, node in enumerate(ET.parse(path).getroot().iter("article")):
        if source == "geovirus":
            page = _field(node, "source").rsplit("/", 1)[-1]
            yield f"{i}", page.replace("_", " "), _field(node, "text")
        else:
            yield node.get("docid") or f"{i}", _field(node, "title"), _field(node, "text")


def _multinews(root: Path) -> Iterator[tuple[str, str, str]]:
    for o in load_jsonl(root / "clustering" / "multinews_longbench200" / "articles.jsonl"):
        yield o["doc_id"], "", o["text"]


def _story_pairs(root: Path) -> Iterator[tuple[str, str, str]]:
    path = (
        root / "story-pairs-gedikli2021" / "gedikli-business_energy_news_dataset-2021-06-29-article_texts.csv"
    )
    csv.field_size_limit(1 << 26)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            yield f"{i}", row["title"], row["text"]


def _extraction(root: Path) -> Iterator[tuple[str, str, str]]:
    truth = json.loads(
        (root / "article-extraction-benchmark" / "ground-truth.json").read_text(encoding="utf-8")
    )
    for key in sorted(truth):
        yield key, "", truth[key]["articleBody"]


def unseen_sources(root: Path | None = None) -> dict[str, dict[str, tuple[str, str]]]:
    """Every candidate article of the unseen set, by source then id: (title, text)."""
    base = root or datasets_dir("geoparsing")
    readers = {
        "lgl": lambda: _geoparsing(base, "lgl"),
        "trnews": lambda: _geoparsing(base, "trnews"),
        "geovirus": lambda: _geoparsing(base, "geovirus"),
        "multinews": lambda: _multinews(base),
        "storypairs": lambda: _story_pairs(base),
        "extraction": lambda: _extraction(base),
    }
    return {name: {i: (t, x) for i, t, x in read()} for name, read in readers.items()}


def load_unseen(root: Path | None = None) -> list[tuple[str, str, str, str]]:
    """The unseen set: (source:id, title, text, topic), topics as in ``DEV_TOPICS`` (``other`` rows skipped)."""
    sources = unseen_sources(root)
    out = []
    for line in UNSEEN.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, topic = line.split("\t")[:2]
        if topic not in DEV_TOPICS:
            continue
        source, _, ident = key.partition(":")
        title, text = sources[source][ident]
        out.append((key, title, text, topic))
    return out


# -- the fresh set: FRANK's articles, labelled blind after the model shipped ------------------------------


def _frank(root: Path) -> dict[str, str]:
    """Each distinct FRANK article by its hash (the file repeats an article once per summary)."""
    path = root / "faithfulness" / "frank" / "frank_benchmark_reconstructed.jsonl"
    texts: dict[str, str] = {}
    for o in load_jsonl(path):
        texts.setdefault(o["hash"], o["article"])
    return texts


def load_fresh(root: Path | None = None) -> list[tuple[str, str, str, str]]:
    """The fresh set: (frank:hash, title, text, topic), ``other`` rows skipped. FRANK keeps no headline, so
    the title is empty: the honest default, where a feed's title would only help."""
    texts = _frank(root or datasets_dir("faithfulness"))
    out = []
    for line in FRESH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, topic = line.split("\t")[:2]
        if topic in DEV_TOPICS:
            out.append((key, "", texts[key.partition(":")[2]], topic))
    return out
