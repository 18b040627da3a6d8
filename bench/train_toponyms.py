"""Build the toponym recogniser that ships with Gazette (``src/gazette/enrich/data/toponym_model.json``).

It trains a logistic regression on every candidate span the tagger finds in LGL, TR-News and GeoVirus (labelled:
the span is a gold toponym or not) over features that carry no word of those texts (``recognise.features``), and
writes the weights with a note of the training data and its licence beside them (``toponym_model.md``).
``bench/locales.py`` scores models trained the same way by cross-validation, never on the fold it scores.
Usage: ``python bench/train_toponyms.py [--output PATH]`` (data from $GAZETTE_DATASETS or ../shared/datasets).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from locales import FILES, THRESHOLD, C, Doc, GoldCodes, corpora_root, labelled_rows, load_xml

from gazette.enrich.locales import get_tagger
from gazette.enrich.locales.recognise import MODEL_PATH, fit
from gazette.enrich.locales.resolve import Tagger


def all_docs(tagger: Tagger) -> list[tuple[str, Doc]]:
    codes = GoldCodes(tagger)
    return [
        (name, doc)
        for name in FILES
        for doc in load_xml(corpora_root() / FILES[name], codes, geovirus=name == "geovirus")
    ]


NOTE = """# toponym_model.json

The toponym recogniser's weights (logistic regression, {features} features, {size} bytes), built by
`bench/train_toponyms.py` (`python bench/train_toponyms.py`).

- Training data: every gazetteer, area and street-pattern candidate in LGL ({lgl} articles), TR-News ({trnews})
  and GeoVirus ({geovirus}) from milangritta/Pragmatic-Guide-to-Geoparsing-Evaluation, and every name inside a
  longer candidate ("Florida" in "Florida Highway"), labelled by the gold toponym spans ({rows} candidates,
  {positives} toponyms). Demonyms ("Russian", "Palestinians") are scored with features of their own
  (`recognise.demonym_features`), trained on LGL and TR-News only: GeoVirus does not annotate them.
- Licence of the training data: GPL-3.0. The features carry no word of those texts: the span's shape, what the
  gazetteer says of the name, our own context word lists in `names.py`, position (after a hyphen, inside a
  longer candidate), repetition and whether the name stands where only a place can elsewhere in the article, how
  the article's names' readings lie (a region most of them share and whether the name has a reading there, the
  distance to another name's nearest reading, in bands), and the rules (`rules.py`) that object; the file holds
  only those feature names and their weights.
- Threshold: {threshold} (probability from which a candidate is a place).
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, default=MODEL_PATH, help="Where to write the model (JSON).")
    args = ap.parse_args(argv)
    tagger = get_tagger()
    docs = all_docs(tagger)
    rows, labels = labelled_rows(tagger, docs)
    model = fit(rows, labels, threshold=THRESHOLD, c=C)
    body = model.to_json(trained_on="LGL, TR-News, GeoVirus (GPL-3.0); see toponym_model.md")
    args.output.write_text(body, encoding="utf-8")
    counts = {name: sum(1 for corpus, _doc in docs if corpus == name) for name in FILES}
    note = NOTE.format(
        features=len(model.weights), size=len(body.encode()), rows=len(rows), positives=sum(labels),
        threshold=THRESHOLD, **counts,
    )  # fmt: skip
    args.output.with_suffix(".md").write_text(note, encoding="utf-8")
    print(
        f"wrote {args.output} ({len(body.encode()):,} bytes, {len(model.weights)} weights, {len(rows)} rows)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
