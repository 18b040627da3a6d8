"""Section classification: the shipped learned model beside the lexicon and the baselines, with floors.

Prints, side by side in one run:
- BBC News (Greene & Cunningham 2006; 5 classes mapped to our sections), all ten sections as candidates:
  majority class and section-name words (baselines), the hand-written lexicon classifier (the shipped
  default before the learned model; no BBC training), ``train-sections`` (TF-IDF + logistic regression,
  stratified 5-fold) and the learned model by stratified 5-fold cross-validation: each fold's logistic
  layer and temperature are fitted on the other four folds plus the rest of the training material (IPTC
  Media Topics, the written examples) and scored on the fold it never saw;
- the dev set (``data/sections_dev.jsonl``: 100 short news items written for Gazette in four broad topics,
  never trained on): the shipped model and the lexicon;
- the unseen set (``data/sections_unseen.tsv``: real news from data sets that carry no section labels and
  are no training material, labelled by hand in the same four topics; texts read from the data sets): the
  shipped model and the lexicon, accuracy over all items and balanced (the mean of the four topics');
- the fresh set (``data/sections_fresh.tsv``: every FRANK article, CNN/Daily Mail and BBC, labelled by hand in
  the same four topics before any section model ran on them; no headline, so an empty title): the same table;
- calibration: expected calibration error and the reliability table (BBC cross-validation, dev, unseen and
  fresh sets);
- cost: median CPU ms per 1,000-word article (the lexicon's in the same run) and the model's load time;
- the demo corpus by language, the English/Spanish twins, and the flood-sensor article.

Exits 1 when a figure falls below its floor (``FLOORS``: the figures of docs/benchmarks.md minus noise).
Usage: ``PYTHONPATH=src python bench/sections.py [--limit N]`` (data from $GAZETTE_DATASETS or
../shared/datasets).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass

import _section_data as data
import numpy as np

from gazette.config import SectionSettings
from gazette.enrich import section_model, sections
from gazette.enrich.sections import LabelledArticle

SUPERVISED_CEILING = 0.980  # TF-IDF + linear SVM, measured in the MANIFEST
TARGETS = {"bbc_cv": 0.93, "dev": 0.85, "unseen": 0.85, "ece": 0.05, "ms_per_article": 2.0, "load_s": 1.0}
# Pinned floors (ceilings for ECE and cost): the figures of docs/benchmarks.md (2026-12-06, second model) less
# noise. Measured: BBC 5-fold 0.945, dev 0.990, ECE 0.021 (BBC) and 0.021 (dev, 100 items: noisy), demo 0.844;
# unseen set 0.896 balanced (0.875 over all 351 items), ECE 0.035 (one standard error there is about 0.02; the
# unseen set was looked at while this model's material was written, so it is a dev figure for it).
# The fresh set (FRANK, labelled blind and committed before this model first ran on it; set after measuring,
# 2026-12-06): 0.836 balanced (one standard error 0.030, business has 25 items and scitech 15), 0.879 over all
# 330 items (s.e. 0.018), ECE 0.048 (bootstrap s.d. 0.013); floors at each figure less one standard error.
FLOORS = {
    "bbc_cv": 0.935,
    "dev": 0.95,
    "unseen": 0.88,
    "unseen_acc": 0.86,
    "ece_bbc": 0.03,
    "ece_dev": 0.06,
    "ece_unseen": 0.06,
    "fresh": 0.80,
    "fresh_acc": 0.86,
    "ece_fresh": 0.065,
    "demo": 0.78,
}
# Cost is gated as a ratio to the lexicon timed in the same run, and the load time absolutely (absolute CPU ms
# swing with the shared machine's load). The model reads the lexicon's scores as features, so the ratio rose
# when the lexicon's cue lookup was made cheaper (2026-12-06, evening): 0.86-1.10 in three quiet runs, with the
# model at 1.07-1.39 ms (it was 1.44-2.19 ms before in the same script).
COST_CEILINGS = {"cost_ratio": 1.4, "load_s": 1.0}

# Written for Gazette (not from any data set): the case issue 12 names, and its first paragraph alone.
FLOOD_SENSORS = (
    "Orinoco communities get early warning as researchers wire the river with cheap flood sensors",
    "Researchers from a university in Ciudad Bolívar have placed forty low-cost flood sensors along the "
    "Orinoco, from Puerto Ayacucho to the delta, and published a paper describing how the devices, built "
    "from off-the-shelf parts for under 60 dollars each, send river levels every ten minutes over the mobile "
    "network.\n\nFishermen and farming families in riverside villages now receive a text message when the "
    "water rises quickly. Last rainy season the river flooded several neighbourhoods and families lost "
    "crops and livestock. The mayor's office said it would pay for more sensors and a siren in each "
    "village, and residents say the warnings gave them hours to move animals and belongings to higher ground.",
)
# English demo articles and their Spanish twins (the same news), by title prefix.
TWINS = [("Blackout leaves eastern Venezuela", "Apagón deja sin luz")]


@dataclass
class Row:
    name: str
    acc: float
    f1: float
    note: str = ""


def scores(gold: list[str], pred: list[str]) -> tuple[float, float]:
    """Accuracy and macro-F1 over the gold labels."""
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    f1s = []
    for label in sorted(set(gold)):
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return acc, statistics.fmean(f1s)


def best(probs: dict[str, float]) -> str:
    return max(probs, key=probs.__getitem__)


def _keyword_baseline(item: LabelledArticle) -> str:
    """A naive baseline: the section whose own name words occur most often in the article."""
    words = Counter(sections.article_words(item.title, item.text))
    top, top_n = "society", 0
    for slug, name in SectionSettings().taxonomy.items():
        cues = {w for w in sections.tokenize(name) if len(w) > 3} | {w for w in slug.split("-") if len(w) > 3}
        n = sum(words[w] for w in cues)
        if n > top_n:
            top, top_n = slug, n
    return top


def run_baselines(items: list[LabelledArticle]) -> list[Row]:
    """Majority class, section-name words, and the lexicon classifier (all ten; BBC's five)."""
    gold = [it.section for it in items]
    five = set(data.BBC_TO_SECTION.values())
    lexicon = sections.lexicon_classifier()
    probs = [lexicon.predict(it.title, it.text) for it in items]
    pred10 = [best(p) for p in probs]
    pred5 = [best({s: v for s, v in p.items() if s in five}) for p in probs]
    majority = Counter(gold).most_common(1)[0][0]
    return [
        Row("majority class (baseline)", *scores(gold, [majority] * len(gold)), "all"),
        Row("section-name words (base.)", *scores(gold, [_keyword_baseline(it) for it in items]), "all ten"),
        Row("lexicon classifier (base.)", *scores(gold, pred10), "all ten; no BBC training"),
        Row("lexicon classifier (base.)", *scores(gold, pred5), "restricted to BBC's five"),
    ]


def run_trained(items: list[LabelledArticle], folds: int = 5) -> Row:
    from sklearn.model_selection import StratifiedKFold

    gold = [it.section for it in items]
    pred = [""] * len(items)
    for train_idx, test_idx in StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(
        items, gold
    ):
        model = sections.train_classifier([items[i] for i in train_idx])
        for i in test_idx:
            pred[i] = best(model.predict(items[i].title, items[i].text))
    return Row(f"train-sections, {folds}-fold", *scores(gold, pred), "TF-IDF + logistic regression")


@dataclass
class CrossValidated:
    rows: list[Row]
    confidence: list[float]
    correct: list[bool]


def run_learned_cv(
    model: section_model.EmbeddedClassifier, items: list[LabelledArticle], folds: int = 5
) -> CrossValidated:
    """The learned model's training procedure scored by stratified k-fold on BBC (never on a trained fold).

    The embedding (distilled token vectors, PCA, Zipf weights) uses no labelled data, so features are
    computed once with the shipped model's embedder; each fold refits the logistic layer and temperature as
    ``_build_sections_model.py`` does (the same material weights, the temperature on 3-fold held-out logits
    of the training folds' whole articles and the written examples, half each).
    """
    import _build_sections_model as build
    from sklearn.model_selection import StratifiedKFold

    labels = model.labels
    m = build.material(model, data.training_groups(items))
    weights = m.weights(dict(model.meta["group_weights"]))
    article = np.array([int(g.split(":")[1]) if g.startswith("article:") else -1 for g in m.ids])
    y = np.array([labels.index(it.section) for it in items])
    probs = np.zeros((len(items), len(labels)))
    c = float(model.meta["c"])
    blend = model.blend("en")

    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(items, y):
        rows = (article < 0) | np.isin(article, train)
        kind = m.kind[rows]
        calibration = np.where(kind == "bbc", 0.5 / max(1, (kind == "bbc").sum()), 0.0)
        calibration += np.where(kind == "examples", 0.5 / max(1, (kind == "examples").sum()), 0.0)
        xt = m.x[rows]
        coef, intercept, temperature = section_model.fit_calibrated(
            xt,
            m.y[rows],
            len(labels),
            c=c,
            folds=3,
            offset=build.lexicon_offset(model, xt, blend),
            sample_weight=weights[rows],
            calibration_weight=calibration,
            groups=m.groups[rows],
            evidence=model.evidence(m.words[rows]),
        )
        scored = (m.kind == "bbc") & np.isin(article, test)
        x_test = m.x[scored]
        logits = x_test @ coef.T + intercept + build.lexicon_offset(model, x_test, blend)
        logits *= model.evidence(m.words[scored])[:, None]
        probs[test] = np.exp(logits / temperature - (logits / temperature).max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    gold = [it.section for it in items]
    pred10 = [labels[k] for k in probs.argmax(1)]
    five = [labels.index(s) for s in data.BBC_TO_SECTION.values()]
    pred5 = [labels[five[k]] for k in probs[:, five].argmax(1)]
    rows = [
        Row(
            f"learned model, {folds}-fold",
            *scores(gold, pred10),
            "all ten; BBC training folds + IPTC + examples",
        ),
        Row(f"learned model, {folds}-fold", *scores(gold, pred5), "restricted to BBC's five"),
    ]
    return CrossValidated(rows, probs.max(1).tolist(), [p == g for p, g in zip(pred10, gold, strict=True)])


def run_dev(classifier: sections.Classifier) -> tuple[float, list[float], list[bool], dict[str, float]]:
    """Accuracy on the four-topic dev set (any section of a topic's set counts), confidences, per topic."""
    conf, correct, by_topic = [], [], {}
    hits: dict[str, list[int]] = {}
    for title, text, topic in data.load_dev():
        probs = classifier.predict(title, text)
        ok = best(probs) in data.DEV_TOPICS[topic]
        conf.append(max(probs.values()))
        correct.append(ok)
        hits.setdefault(topic, []).append(int(ok))
    by_topic = {t: statistics.fmean(h) for t, h in hits.items()}
    return statistics.fmean(correct), conf, correct, by_topic


@dataclass
class TopicScore:
    acc: float
    balanced: float
    by_topic: dict[str, float]
    confidence: list[float]
    correct: list[bool]
    n: dict[str, int]


def run_topics(classifier: sections.Classifier, items: list[tuple[str, str, str]]) -> TopicScore:
    """Four-topic scoring of (title, text, topic) items: a topic's best section must be in its set."""
    conf, correct = [], []
    hits: dict[str, list[int]] = {}
    for title, text, topic in items:
        probs = classifier.predict(title, text)
        ok = best(probs) in data.DEV_TOPICS[topic]
        conf.append(max(probs.values()))
        correct.append(ok)
        hits.setdefault(topic, []).append(int(ok))
    by_topic = {t: statistics.fmean(hits[t]) for t in data.DEV_TOPICS if t in hits}
    return TopicScore(
        statistics.fmean(correct),
        statistics.fmean(by_topic.values()),
        by_topic,
        conf,
        correct,
        {t: len(hits[t]) for t in by_topic},
    )


def print_topics(name: str, what: str, model: TopicScore, lexicon: TopicScore) -> None:
    """One four-topic set's table: the lexicon and the learned model, over all items, balanced, per topic."""
    counts = ", ".join(f"{t} {n}" for t, n in model.n.items())
    print(f"\n{name}: {sum(model.n.values())} {what} ({counts}), never trained on")
    print(f"{'system':<28} {'accuracy':>9} {'balanced':>9}  " + "  ".join(f"{t:>8}" for t in data.DEV_TOPICS))
    for system, sc in (("lexicon classifier (base.)", lexicon), ("learned model", model)):
        print(
            f"{system:<28} {sc.acc:>9.3f} {sc.balanced:>9.3f}  "
            + "  ".join(f"{sc.by_topic[t]:>8.3f}" for t in data.DEV_TOPICS)
        )


def long_articles(items: list[LabelledArticle], n: int, words: int = 1000) -> list[tuple[str, str]]:
    """``n`` articles of exactly ``words`` words, each a BBC article continued by the next ones."""
    out = []
    for start in range(0, len(items), max(1, len(items) // n)):
        body: list[str] = []
        k = start
        while len(body) < words:
            body += items[k % len(items)].text.split()
            k += 1
        out.append((items[start].title, " ".join(body[:words])))
    return out[:n]


def median_cpu_ms(classifier: sections.Classifier, docs: list[tuple[str, str]]) -> float:
    for title, text in docs[:5]:  # warm the word caches as a long-running process has them
        classifier.predict(title, text)
    times = []
    for title, text in docs:
        t0 = time.process_time()
        classifier.predict(title, text)
        times.append(time.process_time() - t0)
    return statistics.median(times) * 1000


def load_seconds() -> float:
    """Wall time to load the shipped model from its file (no cache), the lexicon feature included."""
    t0 = time.perf_counter()
    meta = section_model.read_model()["meta"]
    section_model.load_embedded(sections.lexicon_classifier(max_words=int(meta["lexicon_words"])))
    return time.perf_counter() - t0


def print_reliability(name: str, confidence: list[float], correct: list[bool]) -> float:
    ece, rows = section_model.calibration_table(confidence, correct)
    print(f"\nreliability, {name} (ECE {ece:.3f})")
    print(f"{'confidence':<12} {'articles':>8} {'mean conf.':>10} {'accuracy':>9}")
    for low, high, n, mc, acc in rows:
        print(f"{low:.1f}–{high:.1f}     {n:>8} {mc:>10.3f} {acc:>9.3f}")
    return ece


def run_languages(model: sections.Classifier) -> tuple[list[tuple[str, int, float, float]], list[str]]:
    """Demo corpus accuracy per language (lexicon, learned) after the threshold, and the twins' sections."""
    from gazette.demo.corpus import load_corpus

    settings = SectionSettings()
    lexicon = sections.lexicon_classifier()
    hits: dict[str, list[int]] = {}
    got: dict[str, str] = {}
    for article in load_corpus():
        row = hits.setdefault(article.language, [0, 0, 0])
        row[0] += 1
        for k, clf in ((1, lexicon), (2, model)):
            slug = sections.assign_section(
                article.title,
                article.text,
                feed_section=None,
                classifier=clf,
                settings=settings,
                language=article.language,
            ).slug
            row[k] += slug == article.section
            if k == 2:
                got[article.title] = slug
    twins = []
    for en, es in TWINS:
        s_en = next(v for t, v in got.items() if t.startswith(en))
        s_es = next(v for t, v in got.items() if t.startswith(es))
        twins.append(f"{en}… → {s_en}; {es}… → {s_es}: {'same' if s_en == s_es else 'DIFFERENT'}")
    return [(lang, n, a / n, b / n) for lang, (n, a, b) in sorted(hits.items())], twins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="use every Nth BBC article only (0: all)")
    args = parser.parse_args(argv)
    items = data.load_bbc()
    if args.limit:
        items = items[:: max(1, len(items) // args.limit)]
    model = sections.default_classifier()
    lexicon = sections.lexicon_classifier()
    print(f"BBC News: {len(items)} articles, {len({it.section for it in items})} classes\n")
    cv = run_learned_cv(model, items)
    rows = run_baselines(items) + [run_trained(items)] + cv.rows
    print(f"{'system':<28} {'accuracy':>9} {'macro-F1':>9}  note")
    print("-" * 88)
    for row in rows:
        print(f"{row.name:<28} {row.acc:>9.3f} {row.f1:>9.3f}  {row.note}")
    print(
        f"{'TF-IDF + linear SVM':<28} {SUPERVISED_CEILING:>9.3f} {'0.979':>9}  supervised ceiling (MANIFEST)"
    )

    dev_acc, dev_conf, dev_ok, dev_topics = run_dev(model)
    lex_acc, _, _, lex_topics = run_dev(lexicon)
    print(
        "\ndev set: 100 written news items, four topics (world, business, sports, sci/tech), never trained on"
    )
    print(f"{'system':<28} {'accuracy':>9}  " + "  ".join(f"{t:>8}" for t in data.DEV_TOPICS))
    for name, acc, per in (
        ("lexicon classifier (base.)", lex_acc, lex_topics),
        ("learned model", dev_acc, dev_topics),
    ):
        print(f"{name:<28} {acc:>9.3f}  " + "  ".join(f"{per[t]:>8.3f}" for t in data.DEV_TOPICS))

    unseen = [(title, text, topic) for _, title, text, topic in data.load_unseen()]
    un_model, un_lexicon = run_topics(model, unseen), run_topics(lexicon, unseen)
    print_topics("unseen set", "real news articles labelled by hand", un_model, un_lexicon)
    fresh = [(title, text, topic) for _, title, text, topic in data.load_fresh()]
    fr_model, fr_lexicon = run_topics(model, fresh), run_topics(lexicon, fresh)
    print_topics("fresh set", "FRANK articles labelled blind, no title", fr_model, fr_lexicon)

    ece_bbc = print_reliability(f"learned model, BBC {len(items)} by 5-fold", cv.confidence, cv.correct)
    ece_dev = print_reliability("learned model, dev set", dev_conf, dev_ok)
    ece_unseen = print_reliability("learned model, unseen set", un_model.confidence, un_model.correct)
    ece_fresh = print_reliability("learned model, fresh set", fr_model.confidence, fr_model.correct)

    docs = long_articles(items, 200 if not args.limit else 40)
    ms_model, ms_lexicon = median_cpu_ms(model, docs), median_cpu_ms(lexicon, docs)
    load_s = min(load_seconds() for _ in range(3))
    print(
        f"\ncost per 1,000-word article (median CPU time): learned {ms_model:.2f} ms, lexicon {ms_lexicon:.2f} ms "
        f"(ratio {ms_model / ms_lexicon:.2f}); model load {load_s:.2f} s (best of 3)"
    )

    per_language, twins = run_languages(model)
    print("\ndemo corpus by language (after threshold)")
    print(f"{'language':<10} {'articles':>8} {'lexicon':>8} {'learned':>8}")
    for lang, n, before, after in per_language:
        print(f"{lang:<10} {n:>8} {before:>8.3f} {after:>8.3f}")
    for line in twins:
        print("twins:", line)
    flood_full = best(model.predict(*FLOOD_SENSORS))
    flood_lead = best(model.predict(FLOOD_SENSORS[0], FLOOD_SENSORS[1].split("\n\n")[0]))
    print(f"flood-sensor article → {flood_full}; its first paragraph alone → {flood_lead}")

    demo_acc = sum(n * a for _, n, _, a in per_language) / sum(n for _, n, _, _ in per_language)
    figures = {
        "bbc_cv": cv.rows[0].acc,
        "dev": dev_acc,
        "ece_bbc": ece_bbc,
        "ece_dev": ece_dev,
        "unseen": un_model.balanced,
        "unseen_acc": un_model.acc,
        "ece_unseen": ece_unseen,
        "fresh": fr_model.balanced,
        "fresh_acc": fr_model.acc,
        "ece_fresh": ece_fresh,
        "demo": demo_acc,
        "ms_per_article": ms_model,
        "cost_ratio": ms_model / ms_lexicon,
        "load_s": load_s,
    }
    failed = [
        k
        for k, floor in FLOORS.items()
        if (figures[k] < floor if not k.startswith("ece") else figures[k] > floor)
    ]
    failed += [k for k, ceiling in COST_CEILINGS.items() if figures[k] > ceiling]
    if flood_full != "science-technology":
        failed.append("flood-sensor article")
    if any(line.endswith("DIFFERENT") for line in twins):
        failed.append("twins")
    print(
        f"\ntargets: BBC 5-fold >= {TARGETS['bbc_cv']}: {figures['bbc_cv']:.3f}; dev >= {TARGETS['dev']}: "
        f"{dev_acc:.3f}; unseen >= {TARGETS['unseen']}: {un_model.balanced:.3f} balanced, {un_model.acc:.3f} "
        f"overall; fresh >= {TARGETS['unseen']}: {fr_model.balanced:.3f} balanced, {fr_model.acc:.3f} overall; "
        f"ECE <= {TARGETS['ece']}: BBC {ece_bbc:.3f}, dev {ece_dev:.3f}, unseen {ece_unseen:.3f}, fresh "
        f"{ece_fresh:.3f}; "
        f"<= {TARGETS['ms_per_article']} ms: {ms_model:.2f}; load <= {TARGETS['load_s']} s: {load_s:.2f}"
    )
    print(f"RESULT sections.bbc_cv.accuracy {figures['bbc_cv']:.3f} {TARGETS['bbc_cv']}")
    print(f"RESULT sections.dev.accuracy {dev_acc:.3f} {lex_acc:.3f}")
    print(f"RESULT sections.unseen.balanced_accuracy {un_model.balanced:.3f} {un_lexicon.balanced:.3f}")
    print(f"RESULT sections.unseen.accuracy {un_model.acc:.3f} {un_lexicon.acc:.3f}")
    print(f"RESULT sections.ece {max(ece_bbc, ece_dev):.3f} {TARGETS['ece']}")
    print(f"RESULT sections.unseen.ece {ece_unseen:.3f} {TARGETS['ece']}")
    print(f"RESULT sections.fresh.balanced_accuracy {fr_model.balanced:.3f} {fr_lexicon.balanced:.3f}")
    print(f"RESULT sections.fresh.accuracy {fr_model.acc:.3f} {fr_lexicon.acc:.3f}")
    print(f"RESULT sections.fresh.ece {ece_fresh:.3f} {TARGETS['ece']}")
    print(f"RESULT sections.cpu_ms_per_1000_words {ms_model:.2f} {ms_lexicon:.2f}")
    print(f"RESULT sections.load_s {load_s:.2f} {TARGETS['load_s']}")
    if args.limit:
        print("(--limit: a sample; floors not checked)")
        return 0
    if failed:
        print("BELOW FLOOR: " + ", ".join(failed))
        return 1
    print("all floors met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
