"""Training and evaluation material for sections, shared by ``_build_sections_model.py`` and ``sections.py``.

- BBC News (Greene & Cunningham 2006; research use): 2,225 articles in 5 classes, mapped to our sections.
- IPTC Media Topics (2019-04-06, en-GB; CC BY 4.0): every concept's label and definition, filed in the
  section of its top-level topic.
- ``data/sections_examples.jsonl``: short news items written for Gazette (English and Spanish), a dozen or
  so per section.
- ``data/sections_dev.jsonl``: the dev set, 100 short news items written for Gazette in four broad topics
  (world, business, sports, sci/tech), never used in training.
"""

from __future__ import annotations

import json
from pathlib import Path

from _datasets import datasets_dir

from gazette.enrich.sections import LabelledArticle

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "data" / "sections_examples.jsonl"
DEV = HERE / "data" / "sections_dev.jsonl"

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
    """The short news items written for Gazette as training examples."""
    return [LabelledArticle(o["title"], o["text"], o["section"]) for o in load_jsonl(EXAMPLES)]


def load_dev() -> list[tuple[str, str, str]]:
    """The dev set: (title, text, topic)."""
    return [(o["title"], o["text"], o["topic"]) for o in load_jsonl(DEV)]


def training_material(bbc: list[LabelledArticle]) -> list[LabelledArticle]:
    """What the shipped model learns from, given the BBC articles to use (all of them, or training folds)."""
    return bbc + [lead(it) for it in bbc] + load_iptc() + load_examples()
