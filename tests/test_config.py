"""Config: file, environment and override precedence; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazette.config import describe_settings, load_settings
from gazette.errors import ConfigError


def test_defaults() -> None:
    s = load_settings(env={})
    assert s.database_url == "sqlite:///gazette.db"
    assert s.fetch.delay_seconds == 1.0 and s.fetch.max_redirects == 5
    assert s.fetch.max_bytes == 10 * 1024 * 1024
    assert "Gazette" in s.fetch.user_agent


def test_file_then_env_then_override(tmp_path: Path) -> None:
    cfg = tmp_path / "gazette.toml"
    cfg.write_text(
        'database_url = "sqlite:///x.db"\n[fetch]\nallow_hosts = ["127.0.0.1"]\ndelay_seconds = 2.5\n'
    )
    s = load_settings(cfg, env={"GAZETTE_FETCH_DELAY_SECONDS": "0.5"})
    assert s.fetch.allow_hosts == ["127.0.0.1"] and s.fetch.delay_seconds == 0.5
    s = load_settings(
        cfg, env={"GAZETTE_FETCH_ALLOW_HOSTS": "127.0.0.1, ::1"}, overrides={"database_url": "sqlite://"}
    )
    assert s.fetch.allow_hosts == ["127.0.0.1", "::1"] and s.database_url == "sqlite://"


def test_config_path_from_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text('[site]\ntitle = "Desk"\n')
    assert load_settings(env={"GAZETTE_CONFIG": str(cfg)}).site.title == "Desk"


@pytest.mark.parametrize(
    "body, message",
    [
        ("[fetch]\nunknown = 1\n", "unknown setting fetch.unknown"),
        ("[fetch]\ndelay_seconds = 'soon'\n", "fetch.delay_seconds"),
        ("[brief]\nllm_api_key = 'sk-123'\n", "secret"),
        ("not toml = = \n", "not valid TOML"),
    ],
)
def test_bad_settings_give_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    cfg = tmp_path / "gazette.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg, env={})


def test_secret_is_masked() -> None:
    s = load_settings(env={"GAZETTE_BRIEF_LLM_API_KEY": "sk-secret"})
    assert s.brief.llm_api_key == "sk-secret"
    shown = dict((k, v) for k, v, _ in describe_settings(s))
    assert shown["brief.llm_api_key"] == "****"
    assert all(help_text for _, _, help_text in describe_settings(s))


@pytest.mark.parametrize(
    "body, message",
    [
        ("[fetch]\nobey_robots = 'ture'\n", r"fetch\.obey_robots: cannot read 'ture' \(not a boolean"),
        ("[site]\ncache = 'maybe'\n", r"site\.cache: .*not a boolean"),
        ("[fetch]\ntimeout_seconds = 0\n", r"fetch\.timeout_seconds must be a number of seconds > 0"),
        ("[fetch]\ntotal_timeout = -5\n", r"fetch\.total_timeout must be"),
        ("[fetch]\nconnect_timeout = nan\n", r"fetch\.connect_timeout: .*not a finite number"),
        ("[brief]\nllm_timeout = inf\n", r"brief\.llm_timeout: .*not a finite number"),
        ("[fetch]\nmax_bytes = 2.5\n", r"fetch\.max_bytes: .*not a whole number"),
        ("[fetch]\nmax_bytes = true\n", r"fetch\.max_bytes: .*not a whole number"),
        ("[fetch]\nmax_bytes = '10 MB'\n", r"fetch\.max_bytes: cannot read '10 MB'"),
        ("[fetch]\nmax_bytes = 0\n", r"fetch\.max_bytes must be > 0"),
        ("[site]\npage_size = 0\n", r"site\.page_size must be between 1 and 1000"),
        ("[site]\npage_size = 100000\n", r"site\.page_size must be between 1 and 1000"),
        ("[site]\npage_size = 'twenty'\n", r"site\.page_size: cannot read 'twenty'"),
    ],
)
def test_a_value_of_the_wrong_kind_is_an_error_naming_its_key(
    tmp_path: Path, body: str, message: str
) -> None:
    cfg = tmp_path / "gazette.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg, env={})


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("GAZETTE_FETCH_OBEY_ROBOTS", "ture", r"fetch\.obey_robots \(GAZETTE_FETCH_OBEY_ROBOTS\): .*'ture'"),
        ("GAZETTE_SITE_CACHE", "", r"site\.cache \(GAZETTE_SITE_CACHE\): .*not a boolean"),
        (
            "GAZETTE_FETCH_TIMEOUT_SECONDS",
            "soon",
            r"fetch\.timeout_seconds \(GAZETTE_FETCH_TIMEOUT_SECONDS\)",
        ),
        ("GAZETTE_FETCH_TIMEOUT_SECONDS", "-1", r"fetch\.timeout_seconds must be"),
        ("GAZETTE_FETCH_MAX_BYTES", "1e6", r"fetch\.max_bytes \(GAZETTE_FETCH_MAX_BYTES\)"),
        ("GAZETTE_SITE_PAGE_SIZE", "0", r"site\.page_size must be between"),
        ("GAZETTE_PIPELINE_WORKERS", "two", r"pipeline\.workers \(GAZETTE_PIPELINE_WORKERS\)"),
    ],
)
def test_a_bad_environment_value_is_an_error_naming_its_key(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env={name: value})


@pytest.mark.parametrize(
    "word, expected",
    [("true", True), ("Yes", True), (" on ", True), ("1", True), ("false", False), ("0", False)],
)
def test_boolean_words_are_read_both_ways(word: str, expected: bool) -> None:
    assert load_settings(env={"GAZETTE_FETCH_OBEY_ROBOTS": word}).fetch.obey_robots is expected


def test_numbers_from_the_environment_and_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "gazette.toml"
    cfg.write_text("[fetch]\nmax_bytes = 2048.0\ntimeout_seconds = 3\n[pipeline]\nworkers = 2\n")
    s = load_settings(cfg, env={"GAZETTE_SITE_PAGE_SIZE": " 7 ", "GAZETTE_PIPELINE_WORKERS": "3"})
    assert (s.fetch.max_bytes, s.fetch.timeout_seconds, s.site.page_size) == (2048, 3.0, 7)
    assert s.pipeline.workers == 3  # the environment beats the file
