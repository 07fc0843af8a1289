"""The unsafe mode must be asked for: only development and test run with development defaults;
a start without HEP_ENV is a production start, and an unknown mode refuses to start."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server import create_app
from server.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_a_start_without_hep_env_is_a_production_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEP_ENV", raising=False)
    assert load_config({})["HEP_ENV"] == "production"


def test_a_start_without_hep_env_and_with_default_secrets_refuses_and_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HEP_ENV", "SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    message = str(refused.value)
    assert "SECRET_KEY must be set" in message
    assert "HEP_ENV=development" in message


@pytest.mark.parametrize("mode", ["prod", "Production", "staging", "dev", " development"])
def test_an_unknown_mode_refuses_to_start(
    mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HEP_ENV", mode)
    with pytest.raises(ConfigError, match="is not a mode"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


@pytest.mark.parametrize("mode", ["development", "test"])
def test_the_named_development_modes_start_with_development_defaults(
    mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HEP_ENV", mode)
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["HEP_ENV"] == mode


def test_the_mode_is_logged_at_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HEP_ENV", "development")
    with caplog.at_level(logging.INFO, logger="server"):
        create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "LOG_LEVEL": "INFO"}
        )
    assert any(getattr(r, "mode", None) == "development" for r in caplog.records)


@pytest.mark.slow
def test_a_process_started_without_hep_env_exits_with_what_to_set(tmp_path: Path) -> None:
    drop = {"SECRET_KEY", "JWT_SECRET_KEY", "HEP_ENV", "DATABASE_URL"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "HEP_ENV=development" in done.stderr
    assert "SECRET_KEY must be set" in done.stderr
