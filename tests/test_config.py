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
