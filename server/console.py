"""The therapist console: the built single-page app from ``web/dist``, served at ``/console/``.

Hashed assets are cached for a year; ``index.html`` is revalidated on every load, so a new build
reaches the browser at once. Every console response carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, redirect, request, send_from_directory
from werkzeug.security import safe_join

from server.config import PROJECT_ROOT

DEFAULT_DIST = PROJECT_ROOT / "web" / "dist"
# No inline script or style element, no eval, nothing from another origin; images may be data:
# URLs (the invitation's QR code).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
# The build writes each script and style sheet compressed beside itself (web/vite.config.ts): a
# client that accepts one of these gets about a third of the bytes, with no work per request.
PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))
NOT_BUILT = (
    "The console has not been built. Run `make web` (needs Node.js 20.19+ and npm), "
    "then reload this page.\n"
)

console = Blueprint("console", __name__)


def _dist() -> Path:
    return Path(current_app.config.get("CONSOLE_DIST") or DEFAULT_DIST)


def _with_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _index() -> Response:
    dist = _dist()
    if not (dist / "index.html").is_file():
        response = Response(NOT_BUILT, status=503, mimetype="text/plain")
        response.headers["Cache-Control"] = "no-store"
        return _with_policy(response)
    response = send_from_directory(dist, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return _with_policy(response)


def _asset(dist: Path, filename: str) -> Response:
    """A hashed asset, precompressed when the build wrote it so and the client accepts that."""
    for encoding, suffix in PRECOMPRESSED:
        compressed = safe_join(str(dist), f"{filename}{suffix}")
        if request.accept_encodings[encoding] and compressed and Path(compressed).is_file():
            mimetype = mimetypes.guess_type(filename)[0]
            response = send_from_directory(
                dist, f"{filename}{suffix}", mimetype=mimetype, max_age=31536000
            )
            response.headers["Content-Encoding"] = encoding
            break
    else:
        response = send_from_directory(dist, filename, max_age=31536000)
    response.vary.add("Accept-Encoding")
    return response


@console.get("/")
def root() -> Response:
    """The service's front page is the console."""
    return redirect("/console/", code=302)  # type: ignore[return-value]


@console.get("/console")
@console.get("/console/")
def index() -> Response:
    """The console's page shell."""
    return _index()


@console.get("/console/<path:filename>")
def asset(filename: str) -> Response:
    """A built file; any other path is a client-side route and gets the page shell."""
    dist = _dist()
    if filename.startswith("assets/"):
        response = _asset(dist, filename)
        response.headers["Cache-Control"] = IMMUTABLE  # file names carry a content hash
        return _with_policy(response)
    if "." in filename.rsplit("/", 1)[-1] and (dist / filename).is_file():
        response = send_from_directory(dist, filename, max_age=3600)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return _with_policy(response)
    return _index()


def register_console(app: Flask) -> None:
    """Serve the console; its files are public, so it sits outside the API's access rules."""
    app.register_blueprint(console)
