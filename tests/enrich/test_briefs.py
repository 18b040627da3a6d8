"""Briefs: sentence splitting, the extractive brief and its spans."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from gazette.config import BriefSettings
from gazette.enrich.briefs import CHECK_PASSED, llm, make_brief, rewrite_brief, split_sentences, verify_brief
from gazette.enrich.briefs.extractive import _vectorize, quote_units, word_count
from tests.shared import seed_text  # noqa: E402

SPLIT_CASES = [
    (
        "Mr. Smith went to Washington. He met Dr. Jones at 10 a.m. The meeting ended.",
        ["Mr. Smith went to Washington.", "He met Dr. Jones at 10 a.m.", "The meeting ended."],
    ),
    (
        "The U.S. Army said so. It was in the U.S. The talks went on.",
        ["The U.S. Army said so.", "It was in the U.S.", "The talks went on."],
    ),
    (
        '"Where?" he asked. "Here!" She pointed.',
        ['"Where?" he asked.', '"Here!"', "She pointed."],
    ),
    (
        "¿Qué pasa? ¡Nada! La Sra. García llegó a EE.UU. ayer. El Sr. Pérez no.",
        ["¿Qué pasa?", "¡Nada!", "La Sra. García llegó a EE.UU. ayer.", "El Sr. Pérez no."],
    ),
    (
        "John F. Kennedy was president. He died in 1963.",
        ["John F. Kennedy was president.", "He died in 1963."],
    ),
    ("Prices rose 3.5 percent. Sales fell.", ["Prices rose 3.5 percent.", "Sales fell."]),
    ('He said: "Go home." Then he left.', ['He said: "Go home."', "Then he left."]),
    ("First line without a stop\nSecond line.", ["First line without a stop", "Second line."]),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT_CASES)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text)] == expected


@given(st.text(alphabet=st.sampled_from(list("ab .?!¿¡\"'\n«»MrDU.S")), max_size=200))
@settings(max_examples=300, deadline=None)
def test_split_spans_are_exact(text: str) -> None:
    previous_end = 0
    for span in split_sentences(text):
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip()
        assert span.start >= previous_end
        previous_end = span.end


_WORDS = st.sampled_from(
    ["The", "minister", "said", "Mr.", "Dr.", "U.S.", "a.m.", "prices", "rose", "¿Qué?", "¡Sí!", '"No."']
)
_SENTENCE = st.lists(_WORDS, min_size=3, max_size=14).map(lambda ws: " ".join(ws) + ".")


@given(st.lists(_SENTENCE, min_size=1, max_size=20), st.sampled_from([" ", "\n", "\n\n"]))
@settings(max_examples=150, deadline=None)
def test_extractive_spans_point_at_equal_text(sentences: list[str], glue: str) -> None:
    text = glue.join(sentences)
    brief = make_brief(text, BriefSettings(sentences=4))
    assert len(brief) <= 4
    for position, sentence in enumerate(brief):
        assert sentence.position == position
        assert sentence.kind == "extracted"
        assert text[sentence.source_start : sentence.source_end] == sentence.text
    starts = [s.source_start for s in brief]
    assert starts == sorted(starts)


def test_seed_page_brief() -> None:
    text = seed_text()
    brief = make_brief(text, BriefSettings(), title="Venezuela's Political Prisoner Release: A Gilded Cage?")
    assert 3 <= len(brief) <= 5
    words = sum(word_count(s.text) for s in brief)
    assert 60 <= words <= 170
    for sentence in brief:
        assert text[sentence.source_start : sentence.source_end] == sentence.text
        assert "Copy link" not in sentence.text and "http" not in sentence.text
    assert brief[0].text.startswith("Caracas, Venezuela")


def test_no_near_repeats() -> None:
    lead = "The city council approved the new budget for schools on Tuesday night."
    text = " ".join(
        [
            lead,
            "The city council approved the new budget for schools on Tuesday evening.",
            "Teachers welcomed the extra money for classrooms and books.",
            "Parents asked how the district would hire more bus drivers this year.",
            "The mayor said the budget would be reviewed again in the spring.",
        ]
    )
    brief = make_brief(text, BriefSettings(sentences=3))
    texts = [s.text for s in brief]
    assert lead in texts
    assert "The city council approved the new budget for schools on Tuesday evening." not in texts


def test_empty_and_tiny_texts() -> None:
    assert make_brief("", BriefSettings()) == []
    assert make_brief("   \n ", BriefSettings()) == []
    brief = make_brief("Short note here.", BriefSettings())
    assert [s.text for s in brief] == ["Short note here."]


# --- Rewritten briefs over real HTTP --------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "briefs"
COUNCIL = (FIXTURES / "sources" / "council.txt").read_text(encoding="utf-8")

FAITHFUL = [
    "The Springfield city council voted 7-2 to spend $4.2 million on twelve electric buses.",
    "Mayor Ana Ruiz said the buses would replace diesel vehicles more than fifteen years old.",
    "Lumen Motors, a Dayton manufacturer, will build the buses, and the first four are due in September.",
    "A clean-air grant from the state transport department will cover 40 percent of the cost.",
]
FAKE_QUOTE = '"This is a great day for Springfield," Ruiz told reporters after the vote.'
FAKE_NUMBER = "The state transport department will cover 60 percent of the cost."
FAKE_PERSON = "Council member Janet Price said the city should first repair its roads."


class ChatServer(ThreadingHTTPServer):
    """A tiny OpenAI-compatible chat-completions server whose answers a test scripts."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.replies: list[tuple[int, str, float]] = []  # (status, body, delay) per request, last repeats
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(
        self,
        status: int = 200,
        *,
        lines: list[str] | None = None,
        body: str | None = None,
        delay: float = 0.0,
    ) -> None:
        if body is None:
            content = "\n".join(lines or [])
            body = json.dumps(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                }
            )
        self.replies.append((status, body, delay))


class ChatHandler(BaseHTTPRequestHandler):
    server: ChatServer

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append(
            {"path": self.path, "json": payload, "auth": self.headers.get("Authorization")}
        )
        index = min(len(self.server.requests), len(self.server.replies)) - 1
        status, body, delay = self.server.replies[index]
        if delay:
            time.sleep(delay)
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def chat_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatServer]:
    monkeypatch.setattr(llm, "BACKOFF_SECONDS", 0.01)  # keep retry tests fast
    server = ChatServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _settings(server: ChatServer, **extra: Any) -> BriefSettings:
    values: dict[str, Any] = {"llm_url": server.url, "llm_model": "tiny", "llm_timeout": 5.0}
    values.update(extra)
    return BriefSettings(**values)


def test_faithful_rewrite_is_kept_with_source_spans(chat_server: ChatServer) -> None:
    chat_server.answer(lines=[f"{i + 1}. {s}" for i, s in enumerate(FAITHFUL)])
    brief = make_brief(COUNCIL, _settings(chat_server, llm_api_key="sekret"), language="en", title="Buses")
    assert [s.text for s in brief] == FAITHFUL
    for position, sentence in enumerate(brief):
        assert sentence.position == position
        assert sentence.kind == "rewritten"
        assert sentence.check == CHECK_PASSED
        passage = COUNCIL[sentence.source_start : sentence.source_end]
        assert passage and passage == passage.strip()
    assert "$4.2 million" in COUNCIL[brief[0].source_start : brief[0].source_end]
    assert "Dayton" in COUNCIL[brief[2].source_start : brief[2].source_end]
    (request,) = chat_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sekret"
    assert request["json"]["model"] == "tiny"
    assert "English" in request["json"]["messages"][-1]["content"]
    assert COUNCIL[:200] in request["json"]["messages"][-1]["content"]


def test_fabricated_sentences_are_dropped_with_reasons(chat_server: ChatServer) -> None:
    chat_server.answer(lines=[FAITHFUL[0], FAKE_QUOTE, FAITHFUL[1], FAKE_NUMBER, FAKE_PERSON])
    rewrite = rewrite_brief(COUNCIL, _settings(chat_server))
    assert rewrite.usable
    assert [s.text for s in rewrite.kept] == FAITHFUL[:2]
    reasons = {c.sentence: c.reason for c in rewrite.dropped}
    assert "quote not in source" in reasons[FAKE_QUOTE]
    assert "number not in source: 60 percent" in reasons[FAKE_NUMBER]
    assert "name not in source: Janet Price" in reasons[FAKE_PERSON]
    brief = make_brief(COUNCIL, _settings(chat_server))
    assert [s.kind for s in brief] == ["rewritten", "rewritten"]


def test_too_few_verified_sentences_fall_back_to_extractive(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.answer(lines=[FAITHFUL[0], FAKE_QUOTE, FAKE_NUMBER, FAKE_PERSON])
    with caplog.at_level(logging.INFO, logger="gazette.enrich.briefs"):
        brief = make_brief(COUNCIL, _settings(chat_server))
    assert brief and all(s.kind == "extracted" for s in brief)
    assert all(COUNCIL[s.source_start : s.source_end] == s.text for s in brief)
    assert "only 1 of 4 rewritten sentences passed the verifier" in caplog.text
    assert "dropped rewritten sentence" in caplog.text


def test_server_error_is_retried_then_falls_back(
    chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.answer(500, body='{"error": "overloaded"}')
    with caplog.at_level(logging.WARNING, logger="gazette.enrich.briefs"):
        brief = make_brief(COUNCIL, _settings(chat_server))
    assert len(chat_server.requests) == llm.RETRIES + 1
    assert brief and all(s.kind == "extracted" for s in brief)
    assert "HTTP 500" in caplog.text and "using the extractive brief" in caplog.text


def test_transient_error_then_success(chat_server: ChatServer) -> None:
    chat_server.answer(503, body="{}")
    chat_server.answer(lines=FAITHFUL)
    brief = make_brief(COUNCIL, _settings(chat_server))
    assert len(chat_server.requests) == 2
    assert [s.kind for s in brief] == ["rewritten"] * 4


def test_client_error_is_not_retried(chat_server: ChatServer) -> None:
    chat_server.answer(401, body='{"error": "bad key"}')
    rewrite = rewrite_brief(COUNCIL, _settings(chat_server))
    assert not rewrite.usable and "HTTP 401" in (rewrite.failure or "")
    assert len(chat_server.requests) == 1


def test_timeout_falls_back(chat_server: ChatServer) -> None:
    chat_server.answer(lines=FAITHFUL, delay=1.0)
    rewrite = rewrite_brief(COUNCIL, _settings(chat_server, llm_timeout=0.2))
    assert not rewrite.usable
    assert "timed out" in (rewrite.failure or "")
    brief = make_brief(COUNCIL, _settings(chat_server, llm_timeout=0.2))
    assert brief and all(s.kind == "extracted" for s in brief)


def test_unreadable_answer_falls_back(chat_server: ChatServer) -> None:
    chat_server.answer(body="<html>not json</html>")
    rewrite = rewrite_brief(COUNCIL, _settings(chat_server))
    assert "not a chat completion" in (rewrite.failure or "")


def test_unreachable_endpoint_falls_back(chat_server: ChatServer) -> None:
    port = chat_server.server_address[1]
    chat_server.shutdown()
    chat_server.server_close()
    brief = make_brief(COUNCIL, BriefSettings(llm_url=f"http://127.0.0.1:{port}/v1", llm_timeout=1.0))
    assert brief and all(s.kind == "extracted" for s in brief)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:8080", "http://h:8080/v1/chat/completions"),
        ("http://h:8080/v1/", "http://h:8080/v1/chat/completions"),
        ("http://h/v1/chat/completions", "http://h/v1/chat/completions"),
    ],
)
def test_completions_url(given: str, expected: str) -> None:
    assert llm.completions_url(given) == expected


@pytest.mark.skipif(not os.environ.get("GAZETTE_TEST_LLM_URL"), reason="GAZETTE_TEST_LLM_URL not set")
def test_real_model_brief_is_verified() -> None:
    settings = BriefSettings(
        llm_url=os.environ["GAZETTE_TEST_LLM_URL"],
        llm_model=os.environ.get("GAZETTE_TEST_LLM_MODEL", ""),
        llm_timeout=120.0,
    )
    text = seed_text()
    brief = make_brief(text, settings, language="en")
    assert brief
    for sentence in brief:
        if sentence.kind == "rewritten":
            (check,) = verify_brief(text, [sentence.text])
            assert check.supported
        else:
            assert text[sentence.source_start : sentence.source_end] == sentence.text


def test_quotations_over_several_sentences_stay_whole() -> None:
    text = '«Uno. Dos», dijo. Tres. "Four. Five," he said. Six.\nSeven "open. Eight.\nNine.'
    units = [u.text for u in quote_units(text)]
    assert units == [
        "«Uno. Dos», dijo.",
        "Tres.",
        '"Four. Five," he said.',
        "Six.",
        'Seven "open. Eight.',
        "Nine.",
    ]
    for unit in quote_units(text):
        assert text[unit.start : unit.end] == unit.text


def test_demo_corpus_articles_all_get_briefs() -> None:
    from gazette.demo.corpus import load_corpus

    for article in load_corpus():
        brief = make_brief(article.text, BriefSettings(), title=article.title, language=article.language)
        assert 3 <= len(brief) <= 5, article.slug
        assert sum(word_count(s.text) for s in brief) <= 170, article.slug
        for sentence in brief:
            assert article.text[sentence.source_start : sentence.source_end] == sentence.text
            assert sentence.text.count("«") == sentence.text.count("»"), sentence.text
            assert sentence.text.count('"') % 2 == 0, sentence.text


def test_unpunctuated_and_very_long_texts() -> None:
    blob = " ".join(f"word{i}" for i in range(500))
    (only,) = make_brief(blob, BriefSettings())
    assert blob[only.source_start : only.source_end] == only.text
    assert word_count(only.text) == 60
    long_text = "\n".join(
        f"Sentence number {i} tells part {i % 7} of a long story about the harbour." for i in range(3000)
    )
    brief = make_brief(long_text, BriefSettings())
    assert len(brief) == 4
    assert all(long_text[s.source_start : s.source_end] == s.text for s in brief)


def _tfidf_by_scikit_learn(texts: list[str]) -> np.ndarray:
    """What the brief used before its TF-IDF was computed directly: ``_vectorize`` must equal it bit for bit."""
    vectorizer = TfidfVectorizer(sublinear_tf=True, lowercase=True, strip_accents="unicode", min_df=1)
    try:
        return vectorizer.fit_transform(texts).toarray()  # type: ignore[no-any-return]
    except ValueError:  # no usable terms
        return np.zeros((len(texts), 1))


_TFIDF_WORDS = st.sampled_from(
    ["the", "The", "bridge", "BRIDGE", "Bolívar", "bolivar", "Straße", "İstanbul", "ΟΔΟΣ", "Σ", "ﬁnal",
     "e\u0301cole", "a", "I", "7", "42", "snake_case", "x1", "日本語", "🙂", "don't", "½", "٣٤", ""]
)  # fmt: skip
_TFIDF_GAPS = st.sampled_from([" ", ", ", ". ", "\n", "\t", " — ", "’", "-", "_", "\u00a0", "\u0301", ""])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(_TFIDF_WORDS | st.text(max_size=4), _TFIDF_GAPS), max_size=25).map(
            lambda parts: "".join(w + g for w, g in parts)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_brief_tfidf_equals_scikit_learn_bit_for_bit(texts: list[str]) -> None:
    got, want = _vectorize(texts), _tfidf_by_scikit_learn(texts)
    assert got.shape == want.shape
    assert got.tobytes() == want.tobytes()
