"""The console is served at /console/: the page shell revalidated, hashed assets cached for a
year (and sent precompressed to a client that accepts it), client-side routes falling back to the
shell, and a strict CSP on all of it."""

from __future__ import annotations

import gzip
import mimetypes
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


@pytest.fixture
def compressed_dist(dist: Path) -> Path:
    script = dist / "assets" / "index-3f2a.js"
    (script.parent / f"{script.name}.gz").write_bytes(gzip.compress(script.read_bytes()))
    (script.parent / f"{script.name}.br").write_bytes(b"brotli bytes")
    return dist


def _get(sqlite_url: str, dist: Path, path: str, encodings: str | None) -> TestResponse:
    client = make_test_app(sqlite_url, CONSOLE_DIST=str(dist)).test_client()
    headers = {"Accept-Encoding": encodings} if encodings is not None else {}
    response = client.get(path, headers=headers)
    response.get_data()
    response.close()
    return response


def test_a_precompressed_asset_goes_to_a_client_that_accepts_it(
    sqlite_url: str, compressed_dist: Path
) -> None:
    response = _get(sqlite_url, compressed_dist, "/console/assets/index-3f2a.js", "gzip, deflate")
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == b"console.log(1)"
    assert response.mimetype == mimetypes.guess_type("index.js")[0]
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    brotli = _get(sqlite_url, compressed_dist, "/console/assets/index-3f2a.js", "gzip, br")
    assert brotli.headers["Content-Encoding"] == "br"
    assert brotli.data == b"brotli bytes"


def test_a_client_that_accepts_no_compression_gets_the_plain_file(
    sqlite_url: str, compressed_dist: Path
) -> None:
    for encodings in (None, "identity", "gzip;q=0, br;q=0"):
        response = _get(sqlite_url, compressed_dist, "/console/assets/index-3f2a.js", encodings)
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers
        assert response.data == b"console.log(1)"
        assert "Accept-Encoding" in response.headers["Vary"]


def test_an_asset_built_without_compressed_copies_is_sent_plain(
    sqlite_url: str, dist: Path
) -> None:
    response = _get(sqlite_url, dist, "/console/assets/index-3f2a.js", "gzip, br")
    assert "Content-Encoding" not in response.headers
    assert response.data == b"console.log(1)"
