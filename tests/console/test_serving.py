"""The console is served at /console/: the page shell revalidated, hashed assets cached for a
year, client-side routes falling back to the shell, and a strict CSP on all of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from server.console import CONTENT_SECURITY_POLICY
from tests.conftest import make_test_app


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<script type="module" src="/console/assets/a.js">')
    (tmp_path / "assets" / "index-3f2a.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


class _Client:
    """A test client whose responses are read and closed (a file response holds its file open)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str) -> TestResponse:
        response = self.client.get(path)
        response.get_data()
        response.close()
        return response


def _client(sqlite_url: str, dist: Path) -> _Client:
    return _Client(make_test_app(sqlite_url, CONSOLE_DIST=str(dist)).test_client())


def test_the_front_page_redirects_to_the_console(sqlite_url: str, dist: Path) -> None:
    response = _client(sqlite_url, dist).get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"


def test_the_page_shell_is_revalidated_and_carries_a_strict_policy(
    sqlite_url: str, dist: Path
) -> None:
    response = _client(sqlite_url, dist).get("/console/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    policy = response.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_hashed_assets_are_cached_for_a_year(sqlite_url: str, dist: Path) -> None:
    response = _client(sqlite_url, dist).get("/console/assets/index-3f2a.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_a_client_side_route_gets_the_page_shell(sqlite_url: str, dist: Path) -> None:
    client = _client(sqlite_url, dist)
    response = client.get("/console/patients/0d6c7a6e-9a8e-4b52-8c5a-4c1f1f0e1c11")
    assert response.status_code == 200
    assert b"/console/assets/a.js" in response.data
    assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/console/favicon.svg").headers["Cache-Control"] == "public, max-age=3600"


def test_a_missing_asset_is_not_found_rather_than_the_shell(sqlite_url: str, dist: Path) -> None:
    assert _client(sqlite_url, dist).get("/console/assets/gone-1234.js").status_code == 404


def test_an_unbuilt_console_says_how_to_build_it(sqlite_url: str, tmp_path: Path) -> None:
    response = _client(sqlite_url, tmp_path / "nothing").get("/console/")
    assert response.status_code == 503
    assert b"make web" in response.data
