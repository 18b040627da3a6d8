"""Locales stage: hard cases in English and Spanish, spans, names without mojibake, the page line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gazette
from gazette import models
from gazette.enrich.locales import find_mentions, fold_keeping_length, get_tagger, locale_line, tag_locales
from gazette.enrich.locales.locality import geography
from tests.shared import DATASETS

VENEZUELA = (
    "Venezuelan prisons are overcrowded. Inmates in Bolívar state rioted on Monday, families protested "
    "outside a jail in Nueva Esparta, and guards at Tocorón prison near Maracay said they had not been paid."
)

PRISONS = (
    "Venezuela's prisons are again in crisis. In Ciudad Bolívar, inmates took over a cell block on "
    "Sunday. Guards at Tocorón prison near Maracay said their wages, paid in bolívares, had lost "
    "all value. In Porlamar, on Margarita island, families waited outside the jail. The ministry in "
    "Caracas said a statue of Simón Bolívar would be restored."
)

SPANISH = (
    "Los presos de la cárcel de Tocorón, en Maracay, denunciaron el hacinamiento. El gobierno "
    "venezolano anunció desde Caracas que pagará 500 bolívares a cada guardia en el estado Bolívar "
    "y en Nueva Esparta."
)


# Measured on the first 100 LGL articles, recogniser trained on the other 488 (2026-12-06, fourth round): P 0.876,
# R 0.840, country 0.965, Acc@161 0.860 (third round 0.876, 0.827, 0.960, 0.853); the rules alone R 0.754.
LGL_FLOORS = {"P": 0.85, "R": 0.81, "country": 0.95, "Acc@161": 0.84}


def names(locales):
    return {loc.name for loc in locales}


def test_venezuela_line():
    assert locale_line(tag_locales(VENEZUELA)) == "Bolívar, Nueva Esparta, Aragua, VENEZUELA"


def test_prisons_article_regions_and_no_person_or_currency():
    found = tag_locales(PRISONS)
    line = locale_line(found)
    regions, country = line.rsplit(", ", 1)
    assert country == "VENEZUELA"
    assert set(regions.split(", ")) == {"Bolívar", "Aragua", "Nueva Esparta", "Distrito Capital"}
    spans = {PRISONS[s:e] for loc in found for s, e in loc.spans}
    assert "Bolívar" not in spans  # neither the person nor the currency
    assert not any("bolívares" in PRISONS[s : e + 3] for loc in found for s, e in loc.spans)
    assert all(loc.country_code == "VE" for loc in found)


def test_spans_point_at_mention_text():
    for text in (VENEZUELA, PRISONS, SPANISH):
        for loc in tag_locales(text, title="Prisons in crisis"):
            for start, end in loc.spans:
                surface = text[start:end]
                assert fold_keeping_length(surface) and surface[0].isalpha()
                assert surface in text
            assert loc.mentions >= len(loc.spans)


def test_mention_surfaces():
    surfaces = [m.surface for m in find_mentions(VENEZUELA)]
    assert surfaces == ["Venezuelan", "Bolívar", "Nueva Esparta", "Maracay"]


def test_spanish_text():
    found = tag_locales(SPANISH)
    line = locale_line(found)
    assert line.endswith("VENEZUELA")
    assert {"Aragua", "Distrito Capital", "Bolívar", "Nueva Esparta"} <= set(line.split(", "))
    surfaces = {SPANISH[s:e] for loc in found for s, e in loc.spans}
    assert "bolívares" not in surfaces
    assert "venezolano" in surfaces  # a Spanish demonym points at the country


def test_simon_bolivar_is_a_person():
    found = tag_locales("The square honours Simón Bolívar, who freed much of South America.")
    assert all(loc.kind != "region" or loc.name != "Bolívar" for loc in found)
    assert "Bolívar" not in names(found)


def test_person_name_chain_is_not_a_place():
    text = (
        "El ciclista Simón Bolívar Rincón ganó la etapa en Duitama. Su madre, Luz Marina Rincón, "
        "lo esperaba en la meta. Bolívar Rincón corre para un equipo de Tunja."
    )
    found = tag_locales(text, source_country="CO")
    assert locale_line(found) == "Boyacá, COLOMBIA"
    assert {text[s:e] for loc in found for s, e in loc.spans} == {"Duitama", "Tunja"}


def test_spanish_sentence_start_article_is_not_a_place():
    found = tag_locales("Una empresa de Medellín vende café en Trinidad y en Puerto Ordaz.")
    assert "Una" not in {loc.name for loc in found}
    assert {loc.country_code for loc in found} >= {"CO", "TT"}


def test_bolivares_is_a_currency():
    found = tag_locales("A kilo of rice costs 900 bolívares; the bolívar lost half its value.")
    assert found == []


@pytest.mark.parametrize(
    "text",
    [
        "Mobile phones are banned in most schools.",
        "Reading is good for children, teachers say.",
        "March was the wettest month on record.",
    ],
)
def test_common_words_are_not_places(text):
    assert tag_locales(text) == []


def test_common_word_with_context_is_a_place():
    found = tag_locales("The storm reached Mobile, Alabama, on Tuesday.")
    assert "Mobile" in names(found)
    mobile = next(loc for loc in found if loc.name == "Mobile")
    assert mobile.region_code == "US-AL"


def test_city_state_pattern_picks_the_right_town():
    found = tag_locales("Alexandria, La. — A woman was charged with arson in Alexandria on Friday.")
    alex = next(loc for loc in found if loc.name == "Alexandria")
    assert alex.country_code == "US" and alex.region_code == "US-LA"
    assert alex.mentions == 2


@pytest.mark.parametrize(
    ("text", "place", "region"),
    [
        ("Deputies in Cooke County said the crash happened north of Gainesville.", "Gainesville", "US-TX"),
        ("Deputies in Alachua County said the crash happened north of Gainesville.", "Gainesville", "US-FL"),
        ("The storm hit Paris and Lexington, closing schools across Bourbon County.", "Paris", "US-KY"),
        ("Officials in Atlanta said Georgia would appeal the ruling.", "Georgia", "US-GA"),
    ],
)
def test_other_places_pick_the_reading(text, place, region):
    found = {loc.name: loc for loc in tag_locales(text)}
    assert found[place].region_code == region
    assert all(loc.kind in ("country", "region", "city") for loc in found.values())  # counties stay inside


def test_georgia_the_country_among_its_neighbours():
    found = tag_locales(
        "Georgian troops fought Russian forces in South Ossetia; Georgia asked for a ceasefire."
    )
    assert {loc.country_code for loc in found} == {"GE", "RU"}
    assert all(loc.kind == "country" for loc in found)


def test_source_country_breaks_ties():
    assert tag_locales("Floods hit Cordoba.", source_country="AR")[0].country_code == "AR"
    assert tag_locales("Floods hit Cordoba.", source_country="ES")[0].country_code == "ES"


def test_names_are_free_of_mojibake():
    found = tag_locales(VENEZUELA + " " + SPANISH + " Officials in São Paulo and Zürich agreed.")
    for loc in found:
        for value in (loc.name, loc.region_name or "", loc.country_name):
            assert "Ã" not in value and "\ufffd" not in value and "Â" not in value
    assert {"São Paulo", "Zürich"} <= names(found)


def test_locale_fields():
    (maracay,) = [loc for loc in tag_locales(VENEZUELA) if loc.name == "Maracay"]
    assert maracay.kind == "city"
    assert (maracay.country_code, maracay.region_code, maracay.region_name) == ("VE", "VE-D", "Aragua")
    assert maracay.geonames_id and maracay.lat and maracay.lon
    assert 9 < maracay.lat < 11 and -69 < maracay.lon < -66
    assert 0 < maracay.confidence <= 1


def test_title_adds_salience():
    text = "Police in Caracas and in Maracay made arrests."
    plain = {loc.name: loc.salience for loc in tag_locales(text)}
    titled = {loc.name: loc.salience for loc in tag_locales(text, title="Arrests in Maracay")}
    assert titled["Maracay"] > plain["Maracay"]
    assert tag_locales(text, title="Arrests in Maracay")[0].name == "Maracay"


def test_place_named_only_in_the_title():
    found = tag_locales("Rescuers worked through the night.", title="Flooding in Maracay")
    assert [(loc.name, loc.spans, loc.mentions) for loc in found] == [("Maracay", [], 1)]
    assert locale_line(found) == "Aragua, VENEZUELA"


def test_dateline_with_ap_abbreviation():
    text = "CHARLESTON, W.Va. - A fire destroyed a home on Tuesday."
    found = {loc.name: loc for loc in tag_locales(text)}
    assert found["Charleston"].region_code == "US-WV"
    assert found["West Virginia"].spans == [(12, 17)]


def test_long_list_of_places_stays_linear():
    text = " ".join(["Caracas, Maracay and Porlamar met in Bolívar state."] * 2000)
    # 104 KB: over the default enrich.max_chars, so the cap is lifted to read all 2,000 sentences
    (caracas,) = [loc for loc in tag_locales(text, max_chars=len(text)) if loc.name == "Caracas"]
    assert caracas.mentions == 2000


def test_line_names_each_region_country_when_places_span_countries():
    """The demo's Bogotá metro article: a Colombian Bolívar beside a Venezuelan Distrito Capital."""
    locales = [
        models.Locale("Cartagena", "city", "CO", "Colombia", "CO-BOL", "Bolívar", salience=2.0),
        models.Locale("Caracas", "city", "VE", "Venezuela", "VE-A", "Distrito Capital", salience=1.0),
        models.Locale("Bogotá", "city", "CO", "Colombia", salience=3.0),
    ]
    assert locale_line(locales) == "Bolívar (Colombia), Distrito Capital (Venezuela), COLOMBIA, VENEZUELA"


def test_line_keeps_two_regions_of_one_name_apart():
    locales = [
        models.Locale("Bolívar", "region", "VE", "Venezuela", "VE-F", "Bolívar", salience=2.0),
        models.Locale("Bolívar", "region", "CO", "Colombia", "CO-BOL", "Bolívar", salience=1.0),
    ]
    assert locale_line(locales) == "Bolívar (Venezuela), Bolívar (Colombia), VENEZUELA, COLOMBIA"


def test_line_of_one_country_names_it_once():
    locales = [
        models.Locale("Bolívar", "region", "VE", "Venezuela", "VE-F", "Bolívar", salience=2.0),
        models.Locale("Maracay", "city", "VE", "Venezuela", "VE-D", "Aragua", salience=1.0),
    ]
    assert locale_line(locales) == "Bolívar, Aragua, VENEZUELA"


def test_every_region_of_the_demo_line_has_its_country():
    """No region on a line that spans countries is shown without one (the issue saw "Bolívar" alone)."""
    path = Path(gazette.__file__).parent / "demo" / "data" / "articles" / "observador"
    text = (path / "metro-bogota-avance-obras.txt").read_text(encoding="utf-8").split("\n\n", 1)[1]
    found = tag_locales(text)
    line = locale_line(found)
    countries = {loc.country_code for loc in found}
    assert "COLOMBIA" in line
    for loc in found:
        if loc.kind != "country" and loc.region_name:
            # Today Caracas (the avenue) reads as Venezuela's; a resolver that drops it leaves one country.
            shown = f"{loc.region_name} ({loc.country_name})" if len(countries) > 1 else loc.region_name
            assert f"{shown}," in line, line


def test_empty_text():
    assert tag_locales("") == []
    assert locale_line([]) == ""


def test_cli_json(tmp_path):
    from gazette.cli import app

    path = tmp_path / "article.txt"
    path.write_text(VENEZUELA, encoding="utf-8")
    result = CliRunner().invoke(app, ["locales", str(path), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    keys = {"name", "kind", "country_code", "region_code", "geonames_id", "lat", "lon", "spans", "confidence"}
    assert rows and all(keys <= row.keys() for row in rows)
    assert {row["name"] for row in rows} >= {"Maracay", "Nueva Esparta"}


def test_cli_text_and_jsonl(tmp_path):
    from gazette.cli import app

    result = CliRunner().invoke(app, ["locales", VENEZUELA])
    assert result.exit_code == 0, result.output
    assert "Locales: Bolívar, Nueva Esparta, Aragua, VENEZUELA" in result.output
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": 7, "text": SPANISH}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["locales", "--jsonl", str(batch)])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row["id"] == 7 and row["locales"] and row["line"].endswith("VENEZUELA")


def _bench():
    import importlib.util
    import sys
    from pathlib import Path

    bench_dir = Path(__file__).resolve().parents[2] / "bench"
    if str(bench_dir) not in sys.path:
        sys.path.insert(0, str(bench_dir))  # the bench imports its sibling _datasets
    spec = importlib.util.spec_from_file_location("bench_locales", bench_dir / "locales.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_locales"] = bench  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.slow
def test_quality_gate_on_lgl_subset():
    """The first 100 LGL articles, scored by a recogniser trained on the other 488 (never on what it scores);
    floors pinned a few points under what was measured."""
    bench = _bench()
    corpus = DATASETS / "geoparsing" / "pragmatic-guide" / "data" / "Corpora" / "lgl.xml"
    if not corpus.exists():
        pytest.skip("geoparsing data set not present")
    from gazette.enrich.locales.recognise import fit
    from gazette.enrich.locales.resolve import Tagger

    tagger = Tagger(get_tagger().gazetteer)
    docs = bench.load_xml(corpus, bench.GoldCodes(tagger), geovirus=False)
    held_out, training = docs[:100], docs[100:]
    rows, labels = bench.labelled_rows(tagger, [("lgl", doc) for doc in training])
    tagger.model = fit(rows, labels, threshold=bench.THRESHOLD, c=bench.C)
    ours = bench.score(held_out, tagger.find_mentions, demonyms=True).metrics()
    tagger.model = None
    rules = bench.score(held_out, tagger.find_mentions, demonyms=True).metrics()
    naive = bench.score(held_out, tagger.naive_mentions, demonyms=True).metrics()
    for key, floor in LGL_FLOORS.items():
        assert ours[key] >= floor, (key, ours[key])
    assert ours["R"] > rules["R"] + 0.03  # the recogniser finds what the rules alone miss
    assert ours["Acc@161"] > naive["Acc@161"]


ANZOATEGUI = (
    "Loadings at the Jose terminal in Anzoátegui were halted on Tuesday after a blackout hit eastern Venezuela, "
    "the state oil company said. Tankers waited off Puerto La Cruz."
)
BOGOTA_METRO = (
    "El metro de Bogotá avanza: las obras en la avenida de la Caracas y en Bolívar, en el Distrito Capital, "
    "cumplen el cronograma, dijo la empresa Metro de Bogotá."
)


def test_state_in_the_same_sentence_beats_a_namesake_abroad():
    found = tag_locales(ANZOATEGUI)
    assert {loc.country_code for loc in found} == {"VE"}
    assert "Anzoátegui" in {loc.region_name for loc in found}
    assert "PHILIPPINES" not in locale_line(found)


def test_bogota_metro_article_is_colombian():
    found = tag_locales(BOGOTA_METRO, title="La primera línea del metro de Bogotá")
    assert {loc.country_code for loc in found} == {"CO"}
    by_surface = {m.surface: m.place for m in find_mentions(BOGOTA_METRO)}
    assert by_surface["Bolívar"].country_code == "CO"
    assert by_surface["Distrito Capital"].region_code == "CO-DC"
    assert "Caracas" not in by_surface  # "la Caracas" is the avenue


def test_currency_is_not_its_country():
    spans = {m.surface for m in find_mentions("The budget assumes an oil price of 68 US dollars a barrel.")}
    assert "US" not in spans


def test_rules_say_why_a_candidate_is_dropped():
    from gazette.enrich.locales.rules import Context, first_objection

    tagger = get_tagger()
    text = "Sheriff Baker said the road was closed."
    found = {f.context.surface: f for f in tagger.candidates(text)}
    assert found["Baker"].objections[0] == "title_or_first_name_before"
    ctx = Context.read(text, found["Baker"].candidate, {}, tagger.places, tagger.gazetteer.names, tagger.weak)
    rule, reason = first_objection(ctx)
    assert rule == "title_or_first_name_before" and "person" in reason
    assert "Baker" not in {m.surface for m in tagger.find_mentions(text)}


def test_recogniser_features_carry_no_words_of_the_text():
    tagger = get_tagger()
    text = "Zorblatt Quux met officials in Lanark Road, Tyler, on Wednesday before flying to Paris."
    found = tagger.candidates(text, with_features=True)
    assert found
    for _found, row in tagger.feature_rows(text, found):
        for feature in row or []:
            for word in text.replace(",", " ").replace(".", " ").split():
                assert word.lower() not in feature.lower().split("=")[-1].split("|"), (feature, word)


def test_recogniser_weighs_a_demonym_by_the_word_after_it():
    """ "Russian troops" names the country; "Italian food" a cuisine: the features say which, in no word of the
    text, and the shipped model keeps the one (a country's demonym from 0.4, as a big city) and drops the other."""
    from gazette.enrich.locales.recognise import load_model

    tagger = get_tagger()
    text = "Russian troops crossed the border on Monday. The new restaurant serves Italian food downtown."
    found = tagger.candidates(text, with_features=True)
    rows = {f.context.surface: row for f, row in tagger.feature_rows(text, found)}
    assert "demonym|next=state" in rows["Russian"]
    assert "demonym|next=culture" in rows["Italian"]
    for row in rows.values():
        for feature in row:
            for word in text.replace(".", " ").split():
                assert word.lower() not in feature.lower().split("=")[-1].split("|"), (feature, word)
    model = load_model()
    assert model is not None
    assert model.probability(rows["Russian"]) > 0.5 > model.probability(rows["Italian"])
    kept = {m.surface for m in tagger.find_mentions(text)}
    assert "Russian" in kept and "Italian" not in kept


def test_shipped_model_is_small_and_records_its_data_and_licence():
    from gazette.enrich.locales.recognise import MODEL_PATH, load_model

    model = load_model()
    assert model is not None and 0.0 < model.threshold < 1.0
    assert MODEL_PATH.stat().st_size < 64_000
    note = MODEL_PATH.with_suffix(".md").read_text(encoding="utf-8")
    assert "GPL-3.0" in note and "LGL" in note and "bench/train_toponyms.py" in note
    assert get_tagger().model is not None  # the tagger uses it


def test_street_lies_in_the_town_named_before_it():
    text = "Police in Tyler, Texas, closed Wichita Drive after a water main broke."
    mentions = find_mentions(text)
    street = next(m for m in mentions if m.surface == "Wichita Drive")
    assert street.place.kind == "feature" and street.place.country_code == "US"
    assert street.place.region_code == "US-TX"
    assert all(loc.kind != "feature" for loc in tag_locales(text))  # never a page locale


def test_a_street_in_an_article_that_names_no_town():
    from gazette.enrich.locales.rules import Candidate

    tagger = get_tagger()
    # No town to place it in: the place named nearest before it in the country the article names most.
    text = "The US sent aid. Floods hit Pakistan, and Pakistan asked for help in the Swat Valley."
    mentions = [m for m in tagger.find_mentions(text) if m.place.kind != "feature"]
    start = text.index("Swat Valley")
    placed = tagger._place_features(text, [Candidate(start, start + len("Swat Valley"), [])], mentions)
    assert next(m for m in placed if m.surface == "Swat Valley").place.country_code == "PK"
    # No place named at all: still a street, with no point.
    text = "Police closed Candlewood Drive after a water main broke on Monday."
    street = next(m for m in find_mentions(text) if m.surface == "Candlewood Drive")
    assert street.place.kind == "feature" and street.place.lat is None and not street.place.country_code
    assert tag_locales(text) == []  # never a page locale


def test_rules_alone_without_a_model():
    from gazette.enrich.locales.resolve import Tagger

    tagger = Tagger(get_tagger().gazetteer, use_model=False)
    assert tagger.model is None
    mentions = tagger.find_mentions(VENEZUELA)
    assert {m.place.country_code for m in mentions} == {"VE"}
    assert {m.surface for m in mentions} >= {"Bolívar", "Nueva Esparta", "Maracay"}


DEMO_COUNTRIES = Path(__file__).parent / "fixtures" / "locales" / "demo_countries.json"


def test_every_demo_article_gets_places_and_only_countries_it_names():
    """Each demo article gets places, and no country its text does not name or imply (the fixture, read by hand:
    the Bogotá metro story is never Venezuelan, "British thermal units" are not the United Kingdom)."""
    expected = {
        k: set(v) for k, v in json.loads(DEMO_COUNTRIES.read_text(encoding="utf-8")).items() if k[0] != "_"
    }
    articles = sorted((Path(gazette.__file__).parent / "demo" / "data" / "articles").glob("*/*.txt"))
    assert len(articles) == 32 and len(expected) == 32
    for path in articles:
        header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        title = next(line[6:].strip() for line in header.splitlines() if line.startswith("title:"))
        found = tag_locales(body, title=title)
        assert found, path.name
        countries = {loc.country_code for loc in found}
        assert countries <= expected[f"{path.parent.name}/{path.stem}"], (path.name, countries)


def test_smaller_countries_have_their_demonyms_too():
    from gazette.enrich.locales import names as handnames

    # The thirteenth round filled gaps of the list: "Latvian climbers" named no place before.
    for cc in ("LV", "LT", "EE", "SI", "MD", "MT", "AO", "ZM", "TD", "ML", "ER", "NA"):
        assert handnames.DEMONYMS.get(cc), cc
    assert handnames.DEMONYMS["LV"] == ("Latvian", "Latvians")
    found = [m for m in find_mentions("Border Police are searching for three Latvian climbers.") if m.demonym]
    assert [(m.surface, m.place.country_code) for m in found] == [("Latvian", "LV")]


def test_a_demonym_that_names_a_language_or_a_unit_is_no_country():
    text = (
        "The opera is sung in Cree with English and French surtitles. Gas sold at 4.10 dollars per million "
        "British thermal units."
    )
    assert find_mentions(text) == []
    assert {m.place.country_code for m in find_mentions("French troops arrived on Monday.")} == {"FR"}


def test_currency_after_an_amount_in_words_and_before_a_full_stop():
    text = "The marina will cost 75 million US dollars. A US naval base stood there."
    assert [m.start for m in find_mentions(text)] == [text.index("US naval")]


def test_street_name_drops_the_word_that_opens_the_sentence_and_keeps_the_route_number():
    # The town is named with its state: whether "A Goose Creek man" alone is a place is the recogniser's call
    # (p 0.59 with the fourth-round model, against 0.6), not what this test is about.
    text = "A Goose Creek, S.C., man was hurt on County Road 43 on Friday. The Atlas Mountains were white."
    spans = {m.surface for m in find_mentions(text)}
    assert {"Goose Creek", "County Road 43"} <= spans
    assert not {"A Goose Creek", "County Road", "The Atlas Mountains"} & spans


def test_street_name_starts_after_the_place_that_owns_it():
    text = (
        "Hikers in Utah's Zion National Park were lost near Warren County's Hamilton Township. "
        "They fished at Moore's Lake."
    )
    spans = {
        text[f.candidate.start : f.candidate.end]: f.origin
        for f in get_tagger().candidates(text, with_features=True)
    }
    assert spans["Utah"] == spans["Warren County"] == "gazetteer"
    assert spans["Zion National Park"] == spans["Hamilton Township"] == "feature"
    assert "Utah's Zion National Park" not in spans and "Warren County's Hamilton Township" not in spans
    # an owner with a bare suffix after it is part of the name
    assert spans["Moore's Lake"] == "feature" and "Lake" not in spans


def test_recogniser_reads_the_kind_of_feature_never_its_word():
    from gazette.enrich.locales.recognise import feature_kind

    assert feature_kind("neches river") == feature_kind("lake lanier") == "waterbody"
    assert feature_kind("county road 43") == "transport"
    assert feature_kind("dolly sods wilderness") == "landform"
    assert feature_kind("hamilton township") == "settlement"
    assert feature_kind("main") == "other"


def test_county_written_as_papers_write_it_places_the_town_beside_it():
    # the gazetteer has "De Soto Parish"; the paper writes "DeSoto Parish", and Mansfield is the parish seat
    by_surface = {
        m.surface: m.place for m in find_mentions("Deputies in DeSoto Parish arrested a Mansfield man.")
    }
    assert by_surface["DeSoto Parish"].kind == "county"
    assert by_surface["DeSoto Parish"].region_code == "US-LA"
    assert by_surface["Mansfield"].region_code == "US-LA"


def test_british_county_is_found_at_its_own_point():
    by_surface = {
        m.surface: m.place for m in find_mentions("Police in Lancashire said the road near Preston was shut.")
    }
    county = by_surface["Lancashire"]
    assert (county.kind, county.country_code, county.region_code) == ("county", "GB", "GB-ENG")
    assert county.lat is not None and 53.0 < county.lat < 54.5  # its own point, not Preston's
    assert (county.lat, county.lon) != (by_surface["Preston"].lat, by_surface["Preston"].lon)
    # a county helps resolve but is no page locale
    assert "Lancashire" not in {
        loc.name for loc in tag_locales("Police in Lancashire said the road was shut.")
    }


def test_house_number_is_not_an_amount_of_currency():
    spans = {
        m.surface for m in find_mentions("The fire was at 1935 Orchard St., Alexandria, La., on Friday.")
    }
    assert "Orchard St." in spans
    assert "Alexandria" in spans


def test_possible_votes_split_a_name_among_its_regions():
    from gazette.enrich.locales.votes import POSSIBLE_REGION, possible_votes

    tagger = get_tagger()
    gaz = tagger.gazetteer
    both = next(i for i, p in enumerate(gaz.places) if p.kind == "city" and p.region_code == "US-IN")
    other = next(i for i, p in enumerate(gaz.places) if p.kind == "city" and p.region_code == "US-OH")
    lone = next(i for i, p in enumerate(gaz.places) if p.kind == "city" and p.region_code == "US-KY")
    by_region, totals = possible_votes(tagger.places, [("twice", [both, other]), ("once", [lone])])
    # the share is over the square root of the name's regions: a name of many still says something of each
    assert by_region["US-IN"] == {"twice": POSSIBLE_REGION / 2**0.5}
    assert by_region["US-OH"] == {"twice": POSSIBLE_REGION / 2**0.5}
    assert "US-KY" not in by_region  # a name of one region lends its vote through its reading only
    assert totals["US-IN"] == POSSIBLE_REGION / 2**0.5


def test_a_name_after_a_hyphen_joining_two_capitalised_names_is_read():
    found = find_mentions("The talks covered Egyptian-US relations and the Arab-Israeli conflict.")
    assert {m.surface: m.place.country_code for m in found} == {"Egyptian": "EG", "US": "US", "Israeli": "IL"}
    # a lower-case word before the hyphen joins no two names: "anti-Mexico" is not read as a pair
    assert _capitalised_pair_of("anti-Mexico") is False


def _capitalised_pair_of(text: str) -> bool:
    from gazette.enrich.locales.spans import capitalised_pair

    return capitalised_pair(text, text.index("-") + 1)


def _readings(text: str) -> list[tuple[str, str, str | None]]:
    return [
        (m.surface, m.place.kind, m.place.region_code or m.place.country_code) for m in find_mentions(text)
    ]


def test_a_country_name_in_local_usage_is_the_town_of_the_article_state():
    # "Lebanon Police" beside Boone County: a town of that county's state, not the country.
    text = (
        "Terry Jolly was taken into custody by Lebanon Police on Thursday and held in the Boone County Jail."
    )
    readings = {m.surface: m.place for m in find_mentions(text)}
    assert readings["Lebanon"].kind == "city"
    assert readings["Lebanon"].region_code == readings["Boone County"].region_code
    # In an article set abroad, or with nothing else, the same usage leaves the country alone.
    assert ("Jordan", "country", "JO") in _readings("Jordan police said the border with Syria was closed.")
    assert _readings("Jordan police said the border was closed.") == [("Jordan", "country", "JO")]


def test_a_country_area_or_demonym_name_is_no_town_on_the_article_country_alone():
    # US names all round, but none in the state of China, Maine: China is the country (it was read as the village,
    # then dropped as one with no other place of its state).
    text = "Pilots from Gainesville, Tampa, Orlando and Atlanta flew missions over China and Italy."
    assert {("China", "country", "CN"), ("Italy", "country", "IT")} <= set(_readings(text))
    # Not the hamlet of Middle East, Maryland, on the strength of three towns in Florida.
    text = "Officials in Tampa, Orlando and Miami discussed the Middle East peace talks."
    assert ("Middle East", "area", "") in _readings(text)


def test_recogniser_reads_a_person_act_after_the_name():
    from gazette.enrich.locales.recognise import usage_features

    tagger = get_tagger()
    text = "Fairfield could spend up to 98 years in prison. Fairfield's lawyers declined to comment."
    found = tagger.candidates(text)
    assert [f.context.surface for f in found] == ["Fairfield", "Fairfield"]
    assert usage_features(found[0].context) == ["person_verb_after"]
    assert usage_features(found[1].context) == ["possessive"]
    rows = [row for _f, row in tagger.feature_rows(text, found)]
    assert all(row is not None and any(r.startswith("acting_elsewhere") for r in row) for row in rows[1:])


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Flights from Boston to Denver.", ["Boston", "Denver"]),
        ("Sold as Brand™Denver in Boston.", ["Denver", "Boston"]),  # "™" folds to a letter, ends a word
        ("Die ßtraße in Dresden, then Leipzig.", ["Dresden", "Leipzig"]),  # "ß" titles to two letters
        ("During Indianapolis' boom, Atlanta grew.", ["Indianapolis", "Atlanta"]),
        ("Spring Boston-area and Denverite news.", ["Boston"]),  # never inside a word
    ],
)
def test_names_match_from_word_starts_only_with_offsets_kept(text: str, names: list[str]) -> None:
    from gazette.enrich.locales.spans import mark_word_starts

    folded = fold_keeping_length(text)
    assert len(mark_word_starts(folded, text)) == len(text)
    found = [m.surface for m in get_tagger().naive_mentions(text)]
    assert [name for name in found if name in names] == names
    for m in get_tagger().naive_mentions(text):
        assert text[m.start : m.end] == m.surface


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("A mobile unit reached Mobile.", ["mobile", "unit", "reached"], ["reading", "a"]),
        # after a hyphen or before an apostrophe a word is part of another
        (
            "Reading is in Berkshire; re-reading it, mobile's rates.",
            ["rates"],
            ["reading", "mobile", "berkshire"],
        ),
        ("Un café en Café Tacuba y la bogotá de Bogotá.", ["cafe", "bogota"], ["tacuba"]),  # accents folded
    ],
)
def test_lower_words_are_whole_lower_case_words_folded(
    text: str, inside: list[str], outside: list[str]
) -> None:
    from gazette.enrich.locales.recognise import LowerWords

    words = LowerWords(text)
    assert all(word in words for word in inside)
    assert not any(word in words for word in outside)


def test_a_town_and_a_county_of_two_states_meet_in_the_county_that_holds_the_town():
    # Illinois and Tennessee both have a Paris and a Henry County; only Tennessee's Paris lies in its Henry County
    # (the ZIP data), and the county stands at its own point, not at the town's
    for text in (
        "Paris police arrested a man on Friday, the Henry County sheriff said.",
        "Deputies in Henry County said the fire near Paris was out.",
    ):
        by_surface = {m.surface: m.place for m in find_mentions(text)}
        assert by_surface["Paris"].region_code == "US-TN"
        county = by_surface["Henry County"]
        assert (county.kind, county.region_code) == ("county", "US-TN")
        assert (county.lat, county.lon) != (by_surface["Paris"].lat, by_surface["Paris"].lon)
        assert county.lat is not None and county.lon is not None
        assert abs(county.lat - 36.3) < 0.3 and abs(county.lon + 88.3) < 0.3


def test_county_votes_lend_each_county_a_name_may_lie_in():
    from gazette.enrich.locales.votes import POSSIBLE_COUNTY, Votes, counties_of, county_votes

    tagger = get_tagger()
    gaz = tagger.gazetteer
    paris = [i for i, _ in gaz.names["paris"] if gaz.places[i].country_code == "US"]
    henry = [i for i, _ in gaz.names["henry county"]]
    lent = county_votes(tagger.places, gaz.county_of, [("paris", paris), ("henry county", henry)])
    paris_counties = {c for i in paris for c in counties_of(tagger.places, gaz.county_of, i)}
    assert (
        len(paris_counties) >= 5
    )  # Lamar (Texas), Henry (Tennessee), Bourbon (Kentucky), Edgar (Illinois) …
    for county in paris_counties:
        assert lent[county]["paris"] == POSSIBLE_COUNTY / len(paris_counties) ** 0.5
    votes = Votes({}, {}, {}, {})
    votes.add_counties(lent)
    tennessee = next(i for i in paris if gaz.places[i].region_code == "US-TN")
    illinois = next(i for i in paris if gaz.places[i].region_code == "US-IL")
    # Henry County lends Paris, Tennessee (in it) and not Paris, Illinois (in Edgar County)
    assert votes.county_support(counties_of(tagger.places, gaz.county_of, tennessee), "paris") > 0
    assert votes.county_support(counties_of(tagger.places, gaz.county_of, illinois), "paris") == 0
    # a name never lends to itself
    alone = Votes({}, {}, {}, {})
    alone.add_counties(county_votes(tagger.places, gaz.county_of, [("paris", paris)]))
    assert alone.county_support(counties_of(tagger.places, gaz.county_of, tennessee), "paris") == 0


def test_a_list_of_states_reads_as_states():
    """Names in a list of a country's regions are those regions, not the towns of their names in a listed state
    (Oregon, Ohio; Washington, West Virginia)."""
    text = "Cases were reported in Michigan, Oregon, New Mexico, Ohio, Washington, West Virginia and Wyoming."
    found = {m.surface: m.place for m in find_mentions(text)}
    assert {
        surface: (p.kind, p.region_code) for surface, p in found.items() if surface != "West Virginia"
    } == {
        "Michigan": ("region", "US-MI"),
        "Oregon": ("region", "US-OR"),
        "New Mexico": ("region", "US-NM"),
        "Ohio": ("region", "US-OH"),
        "Washington": ("region", "US-WA"),
        "Wyoming": ("region", "US-WY"),
    }


def test_washington_state_and_washington_dc():
    state = {m.surface: m.place for m in find_mentions("A cow from a Washington state farm tested positive.")}
    assert (state["Washington"].kind, state["Washington"].region_code) == ("region", "US-WA")
    city = {
        m.surface: m.place for m in find_mentions("She flew to Washington, D.C. and then to Oregon and Ohio.")
    }
    assert (city["Washington"].kind, city["Washington"].region_code) == ("city", "US-DC")


def test_a_list_followed_by_counties_reads_as_counties():
    text = "Collapses were reported in Harvey, Harper and Kingman counties, but no one was hurt."
    found = {m.surface: m.place for m in find_mentions(text)}
    assert {s: (p.kind, p.name, p.region_code) for s, p in found.items()} == {
        "Harvey": ("county", "Harvey County", "US-KS"),
        "Harper": ("county", "Harper County", "US-KS"),
        "Kingman": ("county", "Kingman County", "US-KS"),
    }


def test_a_list_of_countries_reads_as_countries_and_a_container_is_no_list():
    text = "Pilots from Gainesville, Texas flew for China, Canada, Britain and the Soviet Union."
    found = {m.surface: m.place for m in find_mentions(text)}
    assert (found["China"].kind, found["China"].country_code) == ("country", "CN")
    assert (found["Gainesville"].kind, found["Gainesville"].region_code) == ("city", "US-TX")
    pair = {m.surface: m.place for m in find_mentions("Prisons in Maracay, Aragua were searched.")}
    assert (pair["Maracay"].kind, pair["Maracay"].region_code) == ("city", "VE-D")


def test_abkhazia_is_a_region_of_georgia():
    found = {
        m.surface: m.place
        for m in find_mentions("Two Abkhaz servicemen were hurt in Abkhazia, Georgia said.")
    }
    assert {s: (p.kind, p.region_code, p.country_code) for s, p in found.items()} == {
        "Abkhaz": ("region", "GE-AB", "GE"),
        "Abkhazia": ("region", "GE-AB", "GE"),
        "Georgia": ("country", None, "GE"),
    }


def test_a_town_from_the_zip_data_is_read_only_where_its_state_or_county_speaks_for_it():
    # Brandon, Minnesota (from the ZIP data, population unknown) beside its state or county; Brandon, Florida
    # (103,000) when nothing speaks for another
    for text in (
        "A Brandon, Minn., woman won the lottery.",
        "Deputies in Douglas County, Minnesota, said the fire near Brandon was out.",
    ):
        brandon = {m.surface: m.place for m in find_mentions(text)}["Brandon"]
        assert (brandon.region_code, brandon.population) == ("US-MN", 0)
        assert brandon.lat is not None and abs(brandon.lat - 45.97) < 0.2
    for text in (
        "Police in Brandon said the road was closed.",
        "The mayor of Brandon said the bridge near Tampa would reopen.",
    ):
        assert {m.surface: m.place for m in find_mentions(text)}["Brandon"].region_code == "US-FL"
    swansea = {m.surface: m.place for m in find_mentions("A Swansea, S.C., man was hurt on Friday.")}
    assert swansea["Swansea"].region_code == "US-SC"
    wales = {m.surface: m.place for m in find_mentions("Swansea beat Cardiff.")}
    assert wales["Swansea"].country_code == "GB"


def test_a_list_closed_by_counties_finds_the_names_only_a_county_bears():
    # "Clarke" and "Oglethorpe" name no town: they are candidates only as members of the list.
    text = "Unemployment rose in Clarke, Madison, Oconee and Oglethorpe counties, the state said."
    found = {m.surface: m.place for m in find_mentions(text)}
    assert (found["Clarke"].kind, found["Clarke"].name, found["Clarke"].region_code) == (
        "county",
        "Clarke County",
        "US-GA",
    )
    assert found["Oglethorpe"].name == "Oglethorpe County"


def test_party_letters_before_a_hyphen_and_a_county_list_are_features():
    tagger = get_tagger()
    text = "Sen. Jane Doe (DFL-Chisholm) spoke. Fires burned in Eastland and Callahan counties."
    rows = {f.context.surface: row for f, row in tagger.feature_rows(text, tagger.candidates(text))}
    assert "after_party" in rows["Chisholm"]
    assert "county_list" in rows["Eastland"] and "county_list" in rows["Callahan"]
    assert "county_list" not in rows["Chisholm"]


def test_state_abbreviations_that_are_no_word_are_read_anywhere():
    assert ("Ky.", "region", "US-KY") in _readings("Cincinnati man dies in Ky. jail.")
    assert ("Pa.", "region", "US-PA") in _readings("Sen. Bob Casey, D-Pa., backed the bill.")
    # "Mass." is a word too: a state's only after a town and a comma, or before a word in lower case that no
    # sentence starts with.
    assert _readings("They went to Mass. on Sunday.") == []
    assert _readings("They went to Mass. The choir sang.") == []
    assert ("Mass.", "region", "US-MA") in _readings("A Boston, Mass., firm won.")
    assert ("Ind.", "region", "US-IN") in _readings("3 Ind. fugitives were moved to another jail.")
    assert ("Mass.", "region", "US-MA") in _readings("Western Mass. stargazers met on Friday.")


def test_a_list_closed_by_streets_makes_its_names_streets():
    from gazette.enrich.locales.spans import street_list_names

    text = "A main blew at Goodwin and Pinevale streets. Crews worked between Strickland and North avenues."
    listed = [text[s:e] for s, e in street_list_names(text)]
    assert listed == ["Goodwin", "Pinevale", "Strickland", "North"]
    other = "At Main and Elm streets, and at The Elm and Oak roads."  # less "At" and "The"
    assert [other[s:e] for s, e in street_list_names(other)] == ["Main", "Elm", "Elm", "Oak"]
    assert street_list_names("Protesters filled the streets of Cairo.") == []
    tagger = get_tagger()
    origins = {f.context.surface: f.origin for f in tagger.candidates(text + " Police in Springfield said.")}
    # A name the gazetteer holds stays its candidate; the others become streets.
    assert origins["Pinevale"] == origins["Strickland"] == origins["North"] == "feature"
    assert origins["Goodwin"] == "gazetteer"
    found = {m.surface: m.place for m in find_mentions(text + " Police in Gainesville, Fla., said.")}
    assert found["Strickland"].kind == "feature" and found["Strickland"].region_code == "US-FL"


def test_a_county_named_without_its_word_where_the_article_names_it_with_it():
    tagger = get_tagger()
    text = "DuPage Sheriff John Zaruba warned residents. DuPage County deputies will patrol."
    candidates = {(f.context.surface, f.candidate.start) for f in tagger.candidates(text)}
    assert ("DuPage", 0) in candidates
    bare = next(f for f in tagger.candidates(text) if f.candidate.start == 0)
    assert {tagger.places[link.place_index].name for link in bare.candidate.links} == {"DuPage County"}
    assert ("DuPage", "county", "US-IL") in _readings(text)
    # Without the county's word anywhere in the article, the bare name is no candidate.
    alone = "DuPage Sheriff John Zaruba warned residents."
    assert [f for f in tagger.candidates(alone) if f.origin != "feature"] == []


def test_a_namesake_of_a_capital_needs_a_name_of_its_own_state():
    # US towns all round, but none in the state of a US Paris, and "French" names the capital's country.
    text = "Lucie flew from Newark, N.J., to Paris, but the French woman ended up in San Francisco."
    assert ("Paris", "city", "FR-IDF") in _readings(text)
    # The Paris beside Henry County is still the town in Tennessee.
    readings = {m.surface: m.place for m in find_mentions("Paris and Henry County residents got letters.")}
    assert readings["Paris"].region_code == "US-TN"


def test_a_country_iso_also_lists_as_a_region_is_the_country():
    # Among Chinese provinces, "Taiwan" was China's CN-TW (the country support of its neighbours).
    text = (
        "Starbucks opened stores in Shanghai, Jiangsu and Zhejiang in China, and sold its outlets in Taiwan."
    )
    assert ("Taiwan", "country", "TW") in _readings(text)


def test_a_dropped_village_lends_nothing_to_the_other_names():
    # Barton (a Wisconsin village, dropped: nothing else of its state) no longer makes Cambridge the Wisconsin town.
    text = (
        "Alan, 79, from Barton, is swimming 26 miles in the pool at Cambridge's Chesterton sports centre. "
        "He leads the Cambridge group of the society. There are 500,000 people with the condition in the UK."
    )
    assert {("Cambridge", "city", "GB-ENG"), ("UK", "country", "GB")} == set(_readings(text))


def test_saint_towns_are_found_as_papers_write_them():
    found = {m.surface: m.place for m in find_mentions("He moved to St. Cloud, Minn., last year.")}
    assert (found["St. Cloud"].name, found["St. Cloud"].region_code) == ("Saint Cloud", "US-MN")


def test_a_town_in_a_list_of_towns_of_one_state_and_a_town_heading_a_body_are_features():
    tagger = get_tagger()
    text = (
        "Snow closed schools in Hays, Salina, Colby and Goodland on Monday. Colby police said the roads to "
        "Salina and Hays were open again."
    )
    rows = [
        (f.context.surface, f.candidate.start, row)
        for f, row in tagger.feature_rows(text, tagger.candidates(text))
    ]
    listed = {surface for surface, _start, row in rows if row and "list_shares=region" in row}
    assert listed == {"Hays", "Salina", "Colby", "Goodland"}  # the list of four, all in Kansas; not the pair
    heads = {
        (surface, start)
        for surface, start, row in rows
        if any(f.startswith("heads_body|") for f in row or ())
    }
    assert heads == {("Colby", text.index("Colby police"))}
    kept = [(m.surface, m.place.region_code) for m in tagger.find_mentions(text)]
    assert kept[:5] == [
        ("Hays", "US-KS"), ("Salina", "US-KS"), ("Colby", "US-KS"), ("Goodland", "US-KS"), ("Colby", "US-KS"),
    ]  # fmt: skip


def test_the_article_geography_is_read_into_each_candidate_features():
    """A town's paper names towns of one state a few miles apart; a wire story names capitals far apart. The
    recogniser reads which, from the gazetteer's readings of the article's names (no word of the text)."""
    tagger = get_tagger()

    def features(text: str) -> dict[str, set[str]]:
        return {
            f.context.surface: {x for x in row or () if x.startswith(("locality=", "nearest_other="))}
            for f, row in tagger.feature_rows(text, tagger.candidates(text))
        }

    local = features(
        "Snow closed the roads between Hays and Victoria on Monday, and schools in Plainville and WaKeeney "
        "shut early."
    )
    assert all("locality=high" in row for row in local.values())  # all four have a reading in Kansas
    assert "nearest_other=<25" in local["Hays"] and "nearest_other=<25" in local["Victoria"]
    wire = features("Envoys met in Nairobi, Jakarta, Ankara and Hanoi this week.")
    assert set(wire) == {"Nairobi", "Jakarta", "Ankara", "Hanoi"}
    assert all({"locality=low", "nearest_other=far"} <= row for row in wire.values())


def test_the_region_most_names_share_is_read_without_saints_names():
    """A name with a reading in the region most of the article's names may lie in is likelier a place; saints'
    names (a church "of St. Peter and St. Paul", both towns of Minnesota) do not pick that region."""
    tagger = get_tagger()

    def read(text: str) -> tuple[str | None, dict[str, set[str]]]:
        rows = tagger.feature_rows(text, tagger.candidates(text))
        top = geography(f for f, _ in rows).top_region
        return top, {
            f.context.surface: {x for x in row or () if x.startswith("top_region=")} for f, row in rows
        }

    top, local = read(
        "Snow closed the roads between Hays and Victoria on Monday, and schools in Plainville and WaKeeney "
        "shut early."
    )
    assert top == "US-KS"
    assert all(
        next(iter(local[name])).startswith("top_region=yes|") for name in ("Hays", "Victoria", "WaKeeney")
    )
    top, _ = read(
        "Mourners filled the church of St. Peter and St. Paul in Cairo, and more gathered in Alexandria."
    )
    assert top != "US-MN"  # St. Peter, St. Paul and Alexandria all have a reading in Minnesota
