"""Sections stage: precedence, threshold, the shipped classifier, and train-sections end to end."""

from __future__ import annotations

import json
from pathlib import Path

import hypothesis
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gazette.cli import app
from gazette.config import SectionSettings
from gazette.enrich import section_model, sections
from gazette.textfold import fold

OBVIOUS = [
    (
        "Striker's late goal wins the cup final",
        "The striker scored in the 89th minute as the club beat their rivals 2-1 at the stadium, "
        "and the manager praised his squad after a long season in the league.",
        "sports",
    ),
    (
        "Shares fall as bank cuts profit forecast",
        "The bank's shares fell 8% after it said annual profits would miss analysts' forecasts, "
        "blaming higher interest rates and weaker lending to companies.",
        "business-finance",
    ),
    (
        "Prime minister faces rebellion over election pledge",
        "Opposition MPs and backbench members of the governing party said they would vote against the bill "
        "in parliament, putting the minister's manifesto promise at risk before the election.",
        "politics-government",
    ),
    (
        "Actress wins Oscar for debut film",
        "The actress won the academy award for best actress at the Hollywood ceremony for her role in the film, "
        "which has taken millions at the box office.",
        "arts-entertainment",
    ),
    (
        "New smartphone chip doubles battery life",
        "The software update and new processor let the handset run apps for longer, the company told users "
        "of its mobile phones at a technology conference on internet devices.",
        "science-technology",
    ),
    (
        "Hospital waiting lists grow as flu cases rise",
        "Doctors and nurses warned that patients face longer waits for treatment as the flu outbreak "
        "fills hospital wards; the health service is vaccinating elderly people.",
        "health",
    ),
    (
        "Man jailed for murder after trial",
        "A jury found the man guilty of murder and the judge sentenced him to life in prison; "
        "police had arrested him after the stabbing.",
        "crime-justice",
    ),
    (
        "Troops advance as rebels shell the city",
        "Army soldiers and militia fighters clashed as the military offensive continued; an air strike "
        "killed civilians and refugees fled the war.",
        "conflict-security",
    ),
    (
        "Carbon emissions hit record as glaciers melt",
        "Climate scientists said greenhouse gas emissions and global warming are shrinking glaciers and "
        "threatening endangered species and their habitats.",
        "environment",
    ),
    (
        "Schools told to teach pupils about faith",
        "Teachers and parents welcomed the plan for religious education in schools, saying children and "
        "students from every community should learn about each other's faith.",
        "society",
    ),
]


def test_default_classifier_gets_obvious_examples_right() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    assert isinstance(clf, section_model.EmbeddedClassifier)
    for title, text, slug in OBVIOUS:
        got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
        assert (got.slug, got.method) == (slug, "classifier"), title
        assert got.name == settings.taxonomy[slug]
        assert settings.threshold <= got.confidence <= 1.0


# Hand-written for these tests (not taken from the demo corpus or any evaluation set): two or more
# paragraphs per section, in the vocabulary of Spanish-language news from Spain and Latin America.
OBVIOUS_ES = [
    (
        "El oficialismo pierde la mayoría en el Senado tras las elecciones legislativas",
        "Los candidatos de la oposición ganaron doce escaños y el partido del presidente deberá negociar "
        "con otras bancadas para aprobar el presupuesto; la abstención rondó el 40 % de los votantes.",
        "politics-government",
    ),
    (
        "El Congreso aprueba en primer debate la reforma electoral",
        "Los diputados votaron a favor del proyecto con 98 votos; la ministra del Interior defendió los "
        "cambios al sistema de listas y la oposición anunció que pedirá un referéndum.",
        "politics-government",
    ),
    (
        "El banco central sube las tasas de interés para frenar la inflación",
        "La autoridad monetaria elevó el tipo de referencia medio punto; los analistas esperan que el peso "
        "se fortalezca frente al dólar y que el crédito a las empresas se encarezca este trimestre.",
        "business-finance",
    ),
    (
        "Las exportaciones de cobre caen un 12 % y la bolsa cierra en rojo",
        "Las mineras reportaron menores ventas por la caída del precio internacional, y las acciones de las "
        "principales compañías arrastraron al índice bursátil; los inversionistas temen una recesión.",
        "business-finance",
    ),
    (
        "Investigadores desarrollan un chip que reduce el consumo de los teléfonos móviles",
        "El equipo de ingenieros de la universidad diseñó un procesador con inteligencia artificial que "
        "ejecuta aplicaciones sin conexión a internet; el software será de código abierto.",
        "science-technology",
    ),
    (
        "Un telescopio detecta agua en la atmósfera de un planeta lejano",
        "Los astrónomos analizaron la luz de la estrella con el telescopio espacial y publicaron el "
        "descubrimiento en una revista científica; la misión de la agencia espacial seguirá observando.",
        "science-technology",
    ),
    (
        "Los hospitales refuerzan las urgencias por el aumento de casos de dengue",
        "El Ministerio de Salud confirmó más de 3.000 contagios y pidió a los pacientes con fiebre acudir "
        "al médico; las enfermeras atienden en turnos dobles y se fumigan los barrios contra el mosquito.",
        "health",
    ),
    (
        "Un nuevo tratamiento reduce la mortalidad por cáncer de pulmón",
        "El ensayo clínico con 800 pacientes mostró que el fármaco, combinado con quimioterapia, alarga la "
        "vida de los enfermos; los oncólogos piden que la sanidad pública lo incluya pronto.",
        "health",
    ),
    (
        "El delantero marca dos goles y su club gana la liga",
        "El equipo venció 2-0 en el estadio y se coronó campeón del torneo; el entrenador dedicó el título "
        "a la afición tras una temporada en la que el arquero apenas recibió goles.",
        "sports",
    ),
    (
        "La tenista argentina alcanza la final en París",
        "Tras ganar la semifinal en tres sets, la jugadora disputará su primer título de Grand Slam; su "
        "rival es la número uno del mundo, que no ha perdido un partido en toda la temporada de tierra.",
        "sports",
    ),
    (
        "El festival de cine premia una película sobre la migración",
        "El jurado entregó el máximo galardón a la directora por su segundo largometraje; la actriz "
        "protagonista fue ovacionada en el estreno y la cinta llegará a las salas en marzo.",
        "arts-entertainment",
    ),
    (
        "La orquesta sinfónica estrena una ópera de un compositor mexicano",
        "El teatro agotó las entradas para las cuatro funciones; la cantante principal y el coro recibieron "
        "los aplausos del público, y el concierto se transmitirá por la televisión cultural.",
        "arts-entertainment",
    ),
    (
        "Condenan a 30 años de prisión al autor de un homicidio",
        "El juez consideró probado que el acusado asesinó a su vecino; la Fiscalía presentó pruebas y "
        "testigos durante el juicio, y la defensa anunció que apelará la sentencia.",
        "crime-justice",
    ),
    (
        "La policía desarticula una banda de narcotraficantes",
        "Los agentes detuvieron a nueve personas e incautaron dos toneladas de cocaína en un allanamiento; "
        "los capturados serán imputados por tráfico de estupefacientes y lavado de dinero.",
        "crime-justice",
    ),
    (
        "Un exalcalde, acusado de corrupción por sobornos en la contratación pública",
        "La Fiscalía imputó al exfuncionario por peculado y cohecho; según la investigación, cobró comisiones "
        "a los contratistas, y un tribunal le impuso prisión preventiva.",
        "crime-justice",
    ),
    (
        "Combates entre el ejército y la guerrilla dejan once muertos",
        "Los soldados se enfrentaron a los rebeldes en una zona rural; cientos de familias se desplazaron "
        "por los bombardeos y el gobierno anunció el envío de más tropas a la frontera.",
        "conflict-security",
    ),
    (
        "Un terremoto de magnitud 7 sacude la costa y deja cientos de damnificados",
        "Los bomberos y los equipos de rescate buscan sobrevivientes entre los escombros; la defensa civil "
        "evacuó a los vecinos por el riesgo de tsunami y declaró la emergencia.",
        "conflict-security",
    ),
    (
        "Las negociaciones de paz se rompen tras un atentado con explosivos",
        "El ataque contra una base militar dejó cuatro soldados heridos; el grupo armado rechazó el alto el "
        "fuego y el ministro de Defensa ordenó una ofensiva.",
        "conflict-security",
    ),
    (
        "La sequía reduce los embalses al nivel más bajo en veinte años",
        "La falta de lluvias y las altas temperaturas secan los ríos; los expertos en cambio climático "
        "advierten que los ecosistemas de la cuenca y la biodiversidad de los humedales están en riesgo.",
        "environment",
    ),
    (
        "La deforestación en la Amazonía crece por tercer año",
        "Los satélites registraron la pérdida de miles de hectáreas de selva; los ambientalistas piden "
        "proteger los bosques y las especies en peligro de extinción frente a la minería ilegal.",
        "environment",
    ),
    (
        "Miles de estudiantes vuelven a las aulas tras la huelga de docentes",
        "Los maestros levantaron el paro después de que el sindicato acordara una subida salarial; los "
        "padres de familia y los alumnos celebraron la vuelta a clases en las escuelas públicas.",
        "society",
    ),
    (
        "El papa pide en su homilía acoger a los migrantes",
        "Ante miles de fieles reunidos en la plaza, el pontífice habló de la pobreza y la desigualdad y "
        "pidió a las parroquias y a la iglesia abrir sus puertas a las familias que huyen.",
        "society",
    ),
    (
        "Crece la demanda de vivienda para los jóvenes en las grandes ciudades",
        "Las organizaciones sociales denuncian que muchas familias y jóvenes no pueden pagar un alquiler; "
        "el informe sobre pobreza pide ampliar los subsidios y atender a los adultos mayores que viven solos.",
        "society",
    ),
    (
        "Récord de visitantes en el museo de arte contemporáneo",
        "La exposición reúne pinturas y esculturas de artistas latinoamericanos; la galería amplió su "
        "horario por la afluencia de público durante las vacaciones.",
        "arts-entertainment",
    ),
    # A second batch, written before it was first run against the lexicon.
    (
        "Sánchez convoca a los barones del PSOE tras el revés en Galicia",
        "El jefe del Ejecutivo reunió a la dirección socialista en Ferraz para analizar los resultados autonómicos, mientras el PP celebra su mayoría absoluta y Sumar pide una reflexión sobre la izquierda.",
        "politics-government",
    ),
    (
        "La Cámara de Diputados rechaza el veto presidencial a la ley de pensiones",
        "Con dos tercios de los votos, los legisladores insistieron en la norma; el Ejecutivo anunció que acudirá a la Corte para frenar su promulgación.",
        "politics-government",
    ),
    (
        "El euríbor baja por tercer mes consecutivo y alivia a los hipotecados",
        "El indicador al que se referencian la mayoría de las hipotecas variables cerró abril en el 3,7 %, lo que rebajará la cuota mensual de miles de familias, según los cálculos de los portales inmobiliarios.",
        "business-finance",
    ),
    (
        "Pemex reporta pérdidas millonarias en el primer trimestre",
        "La petrolera estatal atribuyó el resultado a la caída de la producción de crudo y al alza de los costos de refinación; las calificadoras advierten sobre su elevada deuda.",
        "business-finance",
    ),
    (
        "Mercadona abrirá 30 supermercados y contratará a 2.000 personas",
        "La cadena de distribución invertirá 800 millones de euros este año y prevé aumentar su facturación un 8 %, pese a la subida de los precios de los alimentos.",
        "business-finance",
    ),
    (
        "Un estudio revela cómo las abejas reconocen los colores",
        "Un grupo de biólogos de la Universidad de Barcelona grabó la actividad de las neuronas de los insectos y publicó sus resultados en la revista Current Biology.",
        "science-technology",
    ),
    (
        "La agencia espacial europea lanza con éxito su nuevo cohete Ariane 6",
        "El lanzador despegó desde la base de Kurú, en la Guayana Francesa, y puso en órbita varios satélites de observación de la Tierra.",
        "science-technology",
    ),
    (
        "Meta presenta unas gafas de realidad aumentada",
        "La tecnológica mostró un prototipo capaz de superponer información en la visión del usuario; los desarrolladores podrán crear aplicaciones a partir del año próximo.",
        "science-technology",
    ),
    (
        "Alertan por el aumento de infartos en menores de 40 años",
        "Los cardiólogos atribuyen el fenómeno al sedentarismo, el estrés y el consumo de tabaco, y recomiendan chequeos periódicos de la presión arterial.",
        "health",
    ),
    (
        "Las listas de espera quirúrgica superan los seis meses en Andalucía",
        "El Servicio Andaluz de Salud reconoce que faltan anestesistas y traumatólogos; los sindicatos médicos exigen más plazas.",
        "health",
    ),
    (
        "El Barça remonta ante el Atlético y sigue vivo en la Copa del Rey",
        "Lewandowski firmó un doblete en la segunda parte y Ferran Torres cerró la eliminatoria en el descuento ante un Metropolitano en silencio.",
        "sports",
    ),
    (
        "Checo Pérez saldrá desde la pole en el Gran Premio de México",
        "El piloto mexicano fue el más rápido en la clasificación del sábado en el Autódromo Hermanos Rodríguez, por delante de los dos Ferrari.",
        "sports",
    ),
    (
        "Los Pumas vencen a Nueva Zelanda por primera vez en su historia",
        "El seleccionado argentino de rugby ganó 25-15 con un try en el segundo tiempo y un pie certero de su apertura.",
        "sports",
    ),
    (
        "Bad Bunny anuncia una gira por estadios de América Latina",
        "El artista puertorriqueño presentará su nuevo disco en quince ciudades; los boletos salen a la venta el viernes.",
        "arts-entertainment",
    ),
    (
        "Muere a los 89 años el novelista que retrató la posguerra",
        "El autor de una docena de novelas y ganador del Premio Cervantes deja una obra traducida a treinta idiomas, según informó su editorial.",
        "arts-entertainment",
    ),
    (
        "Detienen en Marbella a un capo del narcotráfico reclamado por Holanda",
        "La Guardia Civil lo arrestó en una urbanización de lujo; sobre él pesaba una orden de búsqueda internacional por tráfico de hachís y blanqueo de capitales.",
        "crime-justice",
    ),
    (
        "La Audiencia Nacional juzga a los acusados de estafar a miles de ahorradores",
        "El tribunal escuchará a más de cien testigos; la fiscalía pide penas de hasta doce años por apropiación indebida y falsedad documental.",
        "crime-justice",
    ),
    (
        "Israel intensifica sus ataques en el sur de Líbano",
        "Los bombardeos de la aviación israelí alcanzaron posiciones de Hezbolá; el Ejército asegura haber destruido lanzaderas de cohetes y depósitos de armas.",
        "conflict-security",
    ),
    (
        "La DANA deja inundaciones y carreteras cortadas en Valencia",
        "Los servicios de emergencia rescataron a decenas de personas atrapadas en sus coches; la Aemet mantiene la alerta roja por lluvias torrenciales.",
        "conflict-security",
    ),
    (
        "El calor extremo dispara la temperatura del Mediterráneo",
        "El agua del mar alcanzó 29 grados frente a Baleares, un récord que, según los oceanógrafos, pone en peligro las praderas de posidonia y la fauna marina.",
        "environment",
    ),
    (
        "Chile crea el mayor parque marino de la Patagonia",
        "El decreto protege fiordos y canales donde viven ballenas, delfines y colonias de pingüinos, y prohíbe la salmonicultura en la zona.",
        "environment",
    ),
    (
        "Más de la mitad de los jóvenes españoles sigue viviendo con sus padres",
        "El informe del Consejo de la Juventud apunta a los bajos sueldos y al precio del alquiler como causas del retraso de la emancipación.",
        "society",
    ),
    (
        "Miles de fieles acompañan la procesión del Señor de los Milagros",
        "La tradicional procesión recorrió el centro de Lima durante doce horas; la hermandad calcula que participaron más de medio millón de devotos.",
        "society",
    ),
]


@pytest.mark.parametrize("language", ["es", "es-MX", None])
def test_default_classifier_gets_obvious_spanish_examples_right(language: str | None) -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    for title, text, slug in OBVIOUS_ES:
        got = sections.assign_section(
            title, text, feed_section=None, classifier=clf, settings=settings, language=language
        )
        assert (got.slug, got.method) == (slug, "classifier"), title
        assert settings.threshold <= got.confidence <= 1.0


@pytest.mark.parametrize("language", ["en", None])
def test_english_examples_stay_right_with_or_without_language(language: str | None) -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    for title, text, slug in OBVIOUS:
        assert sections.classify(title, text, clf, settings, language=language)[0] == slug, title


def test_accents_and_capitals_do_not_change_the_section() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    for title, text, slug in OBVIOUS_ES:
        bare_title = fold(title).upper()  # a headline typed in capitals without accents
        bare_text = fold(text)
        assert sections.classify(bare_title, bare_text, clf, settings, language="es")[0] == slug, title
    # The same folded word, however it was written.
    assert fold("Canción PÚBLICA año Ñandú") == "cancion publica ano nandu"
    assert sections.tokenize("Política económica", accents=False) == ["politica", "economica"]
    assert sections.tokenize("Política") == ["política"]  # the trained model keeps accents


def test_ambiguous_spanish_words_follow_their_context() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    cases = [
        # "partido": a political party or a match
        (
            "El partido del gobierno gana las elecciones municipales",
            "Los votantes dieron la mayoría al partido del presidente en la alcaldía y el concejo.",
            "politics-government",
        ),
        (
            "El partido termina en empate",
            "Los dos equipos empataron 1-1 en el estadio; el delantero falló un penal en el último minuto.",
            "sports",
        ),
        # "fiscal": a prosecutor, not fiscal policy
        (
            "El fiscal pide veinte años de cárcel para el acusado",
            "La Fiscalía sostiene que el detenido cometió el robo; el juez decidirá tras el juicio.",
            "crime-justice",
        ),
        # "obra": a play, "obras": construction works
        (
            "Se estrena la obra de teatro más esperada del año",
            "La actriz y el elenco llenaron la sala en la primera función ante un público entregado.",
            "arts-entertainment",
        ),
    ]
    for title, text, slug in cases:
        assert sections.classify(title, text, clf, settings, language="es")[0] == slug, title


def test_language_tags_and_guessing() -> None:
    assert sections.normalize_language("es-VE") == "es"
    assert sections.normalize_language("ES_mx") == "es"
    assert sections.normalize_language("spa") == "es"
    assert sections.normalize_language("en-GB") == "en"
    assert sections.normalize_language("fr") is None
    assert sections.normalize_language(None) is None
    words = sections.tokenize(
        "Los diputados votaron la ley de presupuesto para el año que viene", accents=False
    )
    assert sections.guess_language(words) == "es"
    words = sections.tokenize("The members of the committee voted on the budget for the year", accents=False)
    assert sections.guess_language(words) == "en"
    assert sections.guess_language(["xyzzy"]) is None


def test_article_language_weights_its_own_cues_more() -> None:
    clf = sections.lexicon_classifier()
    assert clf.languages == ["en", "es"]
    # Spanish cues count in full in a Spanish text and at a fifth in an English one.
    words = sections.tokenize("Elecciones en el congreso", accents=False)
    as_spanish = clf.scores(words, "es")
    as_english = clf.scores(words, "en")
    politics = clf.labels.index("politics-government")
    assert as_spanish[politics] > as_english[politics] > 0


def test_unknown_language_falls_back_to_guessing() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    title, text, slug = OBVIOUS_ES[8]
    assert sections.classify(title, text, clf, settings, language="fr")[0] == slug


def test_taxonomy_subset_limits_spanish_candidates_too() -> None:
    settings = SectionSettings(taxonomy={"sports": "Deportes", "society": "Sociedad"})
    clf = sections.load_classifier(settings)
    # the model scores its ten sections; only the taxonomy's are candidates
    assert {sections.classify(t, x, clf, settings, language="es")[0] for t, x, _ in OBVIOUS_ES} == {
        "society",
        "sports",
    }
    title, text, _ = OBVIOUS_ES[8]
    got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
    assert (got.slug, got.name) == ("sports", "Deportes")


def test_feed_section_wins_over_classifier() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    title, text, _ = OBVIOUS[0]  # a sports story, filed by a health feed
    got = sections.assign_section(title, text, feed_section="health", classifier=clf, settings=settings)
    assert (got.slug, got.name, got.method, got.confidence) == ("health", "Health", "feed", 1.0)


def test_unknown_feed_section_falls_through_to_classifier() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    title, text, slug = OBVIOUS[1]
    got = sections.assign_section(title, text, feed_section="no-such", classifier=clf, settings=settings)
    assert (got.slug, got.method) == (slug, "classifier")


def test_below_threshold_goes_to_default_section() -> None:
    settings = SectionSettings(threshold=0.9)
    clf = sections.load_classifier(settings)
    # Little evidence, and split between sections: a cue for politics, one for the arts.
    title, text = "Visit", "The minister saw the film."
    got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
    assert (got.slug, got.method) == ("society", "default")
    settings.threshold = 0.2
    got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
    assert got.method == "classifier" and got.slug in {"politics-government", "arts-entertainment"}
    assert got.confidence < 0.9


def test_text_without_cues_goes_to_default_section() -> None:
    settings = SectionSettings(default="health")
    clf = sections.load_classifier(settings)
    got = sections.assign_section(
        "Xyzzy", "Lorem ipsum dolor.", feed_section=None, classifier=clf, settings=settings
    )
    assert (got.slug, got.method) == ("health", "default")


def test_no_classifier_means_default() -> None:
    settings = SectionSettings()
    got = sections.assign_section(
        "Anything", "At all.", feed_section=None, classifier=None, settings=settings
    )
    assert (got.slug, got.method) == ("society", "default")


def test_taxonomy_subset_limits_candidates() -> None:
    settings = SectionSettings(taxonomy={"sports": "Sport", "society": "Society"})
    clf = sections.load_classifier(settings)
    assert {sections.classify(t, x, clf, settings)[0] for t, x, _ in OBVIOUS} == {"society", "sports"}
    title, text, _ = OBVIOUS[0]
    got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
    assert (got.slug, got.name) == ("sports", "Sport")


def _write_labelled(path: Path) -> None:
    rows = []
    for i in range(6):
        rows.append(
            {
                "title": f"Gardening tip {i}",
                "text": "Prune the roses and water the tomatoes in the greenhouse.",
                "section": "environment",
            }
        )
        rows.append(
            {
                "title": f"Recipe {i}",
                "text": "Bake the bread with flour, butter and yeast for an hour.",
                "section": "Society",
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def test_train_sections_then_load_classifier_uses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labelled = tmp_path / "labelled.jsonl"
    _write_labelled(labelled)
    model_path = tmp_path / "model" / "sections.npz"
    monkeypatch.setenv("GAZETTE_SECTIONS_MODEL_PATH", str(model_path))
    monkeypatch.setenv("GAZETTE_DATABASE_URL", f"sqlite:///{tmp_path / 'g.db'}")
    result = CliRunner().invoke(app, ["train-sections", str(labelled)])
    assert result.exit_code == 0, result.output
    assert "trained on 12 articles" in result.output
    assert model_path.is_file()

    settings = SectionSettings(model_path=str(model_path))
    clf = sections.load_classifier(settings)
    assert isinstance(clf, sections.LinearClassifier)
    assert clf.labels == ["environment", "society"]  # "Society" (a name) was resolved to its slug
    got = sections.assign_section(
        "How to grow tomatoes",
        "Water the roses and prune the tomatoes.",
        feed_section=None,
        classifier=clf,
        settings=settings,
    )
    assert (got.slug, got.method) == ("environment", "classifier")
    got = sections.assign_section(
        "Sunday baking", "Bread from flour and yeast.", feed_section=None, classifier=clf, settings=settings
    )
    assert got.slug == "society"

    result = CliRunner().invoke(app, ["section", "--json", "Bake bread\nFlour, butter and yeast."])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert row["slug"] == "society" and row["section"] == "Society" and 0 <= row["confidence"] <= 1


def test_saved_model_round_trips_exactly(tmp_path: Path) -> None:
    items = [
        sections.LabelledArticle("Goal", "The striker scored a goal.", "sports"),
        sections.LabelledArticle("Match", "The team won the match.", "sports"),
        sections.LabelledArticle("Shares", "Shares in the bank fell.", "business-finance"),
        sections.LabelledArticle("Profit", "The firm's profit rose.", "business-finance"),
        sections.LabelledArticle("Vote", "MPs vote on the bill.", "politics-government"),
        sections.LabelledArticle("Poll", "The party leads the poll.", "politics-government"),
    ]
    model = sections.train_classifier(items)
    path = tmp_path / "m.npz"
    model.save(path)
    again = sections.LinearClassifier.load(path)
    a = model.predict("Cup", "The team scored a goal.")
    b = again.predict("Cup", "The team scored a goal.")
    assert a.keys() == b.keys()
    assert all(abs(a[k] - b[k]) < 1e-5 for k in a)
    assert max(b, key=b.__getitem__) == "sports"


def test_bad_model_file_is_a_config_error(tmp_path: Path) -> None:
    from gazette.errors import ConfigError

    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ConfigError):
        sections.load_classifier(SectionSettings(model_path=str(bad)))


def test_bad_labelled_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(
        '{"title": "a", "text": "b", "section": "sports"}\n{"title": "no section"}\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        app,
        ["train-sections", str(path), "--output", str(tmp_path / "m.npz")],
        env={"GAZETTE_DATABASE_URL": "sqlite:///x.db"},
    )
    assert result.exit_code == 2
    assert ":2:" in result.output


def test_section_command_batch_jsonl(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "\n".join(json.dumps({"id": i, "title": t, "text": x}) for i, (t, x, _) in enumerate(OBVIOUS)) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["section", "--jsonl", str(batch)], env={"GAZETTE_SECTIONS_MODEL_PATH": ""}
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [r["id"] for r in rows] == list(range(len(OBVIOUS)))
    assert [r["slug"] for r in rows] == [slug for _, _, slug in OBVIOUS]
    assert set(rows[0]) >= {"id", "section", "slug", "confidence"}


# -- quality gate on real data (BBC News, research-only: read in place, never copied) -------------

from tests.shared import DATASETS  # noqa: E402

BBC = DATASETS / "bbc-news" / "bbc"
BBC_TO_SECTION = {
    "business": "business-finance",
    "entertainment": "arts-entertainment",
    "politics": "politics-government",
    "sport": "sports",
    "tech": "science-technology",
}
# Floors pinned a little under the figures measured on this fixed subset (every 5th article):
# default 0.888 all ten / 0.946 five; train-sections 5-fold 0.946 (0.977 on the whole set).
FLOOR_DEFAULT_ALL_TEN = 0.86
FLOOR_DEFAULT_FIVE = 0.92
FLOOR_TRAINED = 0.92


def _bbc_subset() -> list[sections.LabelledArticle]:
    items = []
    for cls, slug in BBC_TO_SECTION.items():
        for path in sorted((BBC / cls).glob("*.txt")):
            raw = path.read_bytes()
            try:
                content = raw.decode("utf-8")
            except UnicodeDecodeError:
                content = raw.decode("latin-1")
            lines = content.strip().splitlines()
            items.append(sections.LabelledArticle(lines[0], "\n".join(lines[1:]), slug))
    return items[::5]


@pytest.mark.skipif(not BBC.is_dir(), reason="BBC News data set not present")
def test_quality_gate_lexicon_classifier_on_bbc() -> None:
    """The lexicons alone (the learned model's feature and the bench's baseline) keep their figures."""
    items = _bbc_subset()
    all_ten = SectionSettings()
    five = SectionSettings(taxonomy={s: all_ten.taxonomy[s] for s in BBC_TO_SECTION.values()})
    clf = sections.lexicon_classifier()
    hits10 = sum(sections.classify(it.title, it.text, clf, all_ten)[0] == it.section for it in items)
    hits5 = sum(sections.classify(it.title, it.text, clf, five)[0] == it.section for it in items)
    assert hits10 / len(items) >= FLOOR_DEFAULT_ALL_TEN
    assert hits5 / len(items) >= FLOOR_DEFAULT_FIVE


@pytest.mark.skipif(not BBC.is_dir(), reason="BBC News data set not present")
def test_quality_gate_train_sections_on_bbc() -> None:
    from sklearn.model_selection import StratifiedKFold

    items = _bbc_subset()
    gold = [it.section for it in items]
    hits = 0
    for train_idx, test_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(items, gold):
        model = sections.train_classifier([items[i] for i in train_idx])
        for i in test_idx:
            probs = model.predict(items[i].title, items[i].text)
            hits += max(probs, key=probs.__getitem__) == gold[i]
    assert hits / len(items) >= FLOOR_TRAINED


# -- the shipped learned model --------------------------------------------------------------------

BENCH_DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
DEV_TOPICS = {
    "world": {"politics-government", "conflict-security", "crime-justice"},
    "business": {"business-finance"},
    "sports": {"sports"},
    "scitech": {"science-technology"},
}
# Measured 2026-12-06 (bench/sections.py, second model): dev set 0.990, ECE 0.021; the whole BBC set's 5-fold
# 0.945 (one fold of this subset about 0.95 with the first model). Pinned under them for noise.
FLOOR_LEARNED_DEV = 0.94
FLOOR_LEARNED_BBC_FOLD = 0.90

# Written for these tests: the case, and its first paragraph alone.
FLOOD_TITLE = "Early warning for Orinoco villages as scientists wire the river with cheap sensors"
FLOOD_LEAD = (
    "A team of researchers has installed thirty low-cost flood sensors along the Orinoco between Ciudad "
    "Bolívar and the delta and published a paper on how the devices, assembled from parts costing under 50 "
    "dollars, report the river's level every ten minutes over the mobile network."
)
FLOOD_REST = (
    "Families in riverside villages now get a text message when the water rises fast. Last year floods "
    "swept through several neighbourhoods and farmers lost their crops and cattle. The regional government "
    "said it would pay for more sensors and a siren in every village; residents say the alerts gave them "
    "hours to move their animals and belongings to higher ground."
)


def test_flood_sensor_article_goes_to_science_and_technology() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    for text in (FLOOD_LEAD + "\n\n" + FLOOD_REST, FLOOD_LEAD):
        got = sections.assign_section(FLOOD_TITLE, text, feed_section=None, classifier=clf, settings=settings)
        assert (got.slug, got.method) == ("science-technology", "classifier")


def test_demo_spanish_twin_goes_where_its_english_twin_goes() -> None:
    from gazette.demo.corpus import load_corpus

    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    by_title = {a.title: a for a in load_corpus()}
    twins = [("Blackout leaves eastern Venezuela", "Apagón deja sin luz")]
    for en, es in twins:
        got = []
        for prefix in (en, es):
            article = next(a for t, a in by_title.items() if t.startswith(prefix))
            got.append(
                sections.assign_section(
                    article.title,
                    article.text,
                    feed_section=None,
                    classifier=clf,
                    settings=settings,
                    language=article.language,
                ).slug
            )
        assert got[0] == got[1], (en, got)


def test_learned_model_file_is_small_and_records_its_inputs() -> None:
    data = section_model.read_model()
    meta = data["meta"]
    assert meta["format"] == section_model.MODEL_FORMAT
    assert meta["labels"] == list(SectionSettings().taxonomy)
    assert 0.2 < meta["temperature"] < 5.0
    shipped = Path(section_model.__file__).parent / "data"
    assert (shipped / section_model.MODEL_FILE).stat().st_size < 5_000_000
    record = (shipped / "section_model.md").read_text(encoding="utf-8")
    for needed in ("all-MiniLM-L6-v2", "IPTC Media Topics", "CC BY 4.0", "BBC", "_build_sections_model.py"):
        assert needed in record


def test_short_texts_keep_less_of_their_logits() -> None:
    """The embedding is a mean: without the evidence factor a six-word text is as sure as a long article."""
    clf = sections.default_classifier()
    half = float(clf.meta["evidence_words"])
    assert half > 0
    assert clf.evidence(0) == 0.0 and clf.evidence(int(half)) == pytest.approx(0.5)
    assert clf.evidence(400) > 0.98
    title, text = "Visit", "The minister saw the film."
    short = clf.predict(title, text)
    longer = clf.predict(title, " ".join([text] * 30))
    assert max(short, key=short.__getitem__) == max(longer, key=longer.__getitem__)
    assert max(short.values()) < max(longer.values())


def test_wordpiece_tokenizer_follows_bert_rules() -> None:
    vocab = ["[PAD]", "[UNK]", "sensor", "##s", "rio", ",", "the", "orinoco", "o", "##rin"]
    tok = section_model.WordPieceTokenizer(vocab)
    assert tok.encode("The sensors, Río!") == [6, 2, 3, 5, 4, 1]
    assert tok.encode("ORINOCO") == [7]
    assert tok.encode("sensors sensors", max_words=1) == [2, 3]


@hypothesis.settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab AΣς’'-.\u0301é1ǅ\u0130ﬁ\n", max_size=300), st.integers(min_value=1, max_value=30))
def test_leading_words_from_a_prefix_equal_the_whole_read(text: str, max_words: int) -> None:
    """The lexicon reads its words off a short prefix first: the same words as the long one gives."""
    expected = sections.tokenize(text[: max_words * 20], accents=False)[:max_words]
    assert sections._leading_words(text, max_words, accents=False) == expected


@hypothesis.settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab Ab,.!_-’\u00a0\u2003\u2000\n\u0301\u0345éΣ1\u0130ǅ", max_size=120),
    st.none() | st.integers(min_value=0, max_value=12),
)
def test_wordpiece_encoding_by_runs_equals_word_by_word(text: str, max_words: int | None) -> None:
    """``encode_counted`` reads runs of non-space characters, each normalised alone and its pieces cached: the
    same ids and word count as every word of ``words`` (of the whole text normalised) looked up in turn."""
    vocab = ["[PAD]", "[UNK]", "a", "b", "##a", "##b", "ab", ",", ".", "_", "-", "'", "e", "σ", "ς", "1"]
    tok = section_model.WordPieceTokenizer(vocab)
    cut = text if max_words is None else text[: max_words * section_model.CHARS_PER_WORD]
    words = tok.words(cut)[:max_words]
    expected = [i for w in words for i in tok.word_ids(w)]
    assert tok.encode_counted(text, max_words) == (expected, len(words))
    assert tok.encode_counted(text, max_words) == (expected, len(words))  # again, from the cache


def test_calibration_table_counts_every_prediction() -> None:
    ece, rows = section_model.calibration_table([0.95, 0.95, 0.55, 0.15], [True, False, True, False])
    assert sum(n for _, _, n, _, _ in rows) == 4
    # bins: 0.9–1.0 conf 0.95 acc 0.5; 0.5–0.6 conf 0.55 acc 1; 0.1–0.2 conf 0.15 acc 0
    assert ece == pytest.approx((2 * 0.45 + 0.45 + 0.15) / 4)


def test_quality_gate_learned_model_on_the_dev_set() -> None:
    """The written four-topic dev set (never trained on): accuracy and calibration."""
    clf = sections.load_classifier(SectionSettings())
    conf, correct = [], []
    for line in (BENCH_DATA / "sections_dev.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        probs = clf.predict(item["title"], item["text"])
        top = max(probs, key=probs.__getitem__)
        conf.append(probs[top])
        correct.append(top in DEV_TOPICS[item["topic"]])
    assert len(correct) == 100
    assert sum(correct) / len(correct) >= FLOOR_LEARNED_DEV
    ece, _ = section_model.calibration_table(conf, correct)
    assert ece <= 0.06


@pytest.mark.skipif(not BBC.is_dir(), reason="BBC News data set not present")
def test_quality_gate_learned_training_on_a_bbc_fold() -> None:
    """The model's training procedure on four fifths of the BBC subset, scored on the fifth it never saw."""
    items = _bbc_subset()
    clf = sections.default_classifier()
    train, test = [it for i, it in enumerate(items) if i % 5], items[::5]
    x = np.stack([clf.features(it.title, it.text) for it in train])
    y = np.array([clf.labels.index(it.section) for it in train])
    coef, intercept = section_model.fit_layer(
        x, y, len(clf.labels), c=float(clf.meta["c"]), sample_weight=section_model.balanced_weights(y)
    )
    hits = 0
    for it in test:
        feats = clf.features(it.title, it.text)
        lexicon_log = feats[-len(clf.lexicon_labels) :] / clf.lexicon_scale
        logits = feats @ coef.T + intercept + clf.blend("en") * lexicon_log
        hits += clf.labels[int(np.argmax(logits))] == it.section
    assert hits / len(test) >= FLOOR_LEARNED_BBC_FOLD


def test_unseen_set_holds_ids_and_labels_only() -> None:
    """bench/data/sections_unseen.tsv names articles of the shared data sets; their texts stay out of the repo."""
    sources = {"lgl", "trnews", "geovirus", "multinews", "storypairs", "extraction"}
    rows = [
        line.split("\t")
        for line in (BENCH_DATA / "sections_unseen.tsv").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(rows) >= 200
    keys = [key for key, _ in rows]
    assert len(set(keys)) == len(keys)
    for key, topic in rows:
        source, _, ident = key.partition(":")
        assert source in sources and ident and len(key) < 90
        assert topic in {*DEV_TOPICS, "other"}
    assert sum(topic != "other" for _, topic in rows) >= 200


def test_fresh_set_holds_ids_and_labels_only() -> None:
    """bench/data/sections_fresh.tsv labels every distinct FRANK article once, by its hash; no text is stored."""
    rows = [
        line.split("\t")
        for line in (BENCH_DATA / "sections_fresh.tsv").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(rows) == 499  # FRANK's distinct articles: the whole set, not a selection
    keys = [key for key, _ in rows]
    assert len(set(keys)) == len(keys) and keys == sorted(keys)
    for key, topic in rows:
        source, _, ident = key.partition(":")
        assert source == "frank" and ident.isalnum() and len(ident) <= 40
        assert topic in {*DEV_TOPICS, "other"}
    assert sum(topic != "other" for _, topic in rows) >= 300
