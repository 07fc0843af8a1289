"""HTTP hardening: security headers and JSON-only API bodies."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, request, send_from_directory
from werkzeug.exceptions import RequestEntityTooLarge


def register_http_hardening(app: Flask) -> None:
    """Refuse oversize bodies early, add security headers, serve the bundled Swagger UI."""

    @app.before_request
    def _refuse_oversize_bodies() -> None:
        limit = app.config["MAX_CONTENT_LENGTH"]
        declared = request.content_length
        # A chunked upload has no length: Werkzeug stops reading at the limit without saying
        # so, which would surface as "invalid JSON". A body that fills the limit is refused.
        chunked = declared is None and request.environ.get("wsgi.input_terminated")
        too_large = declared > limit if declared is not None else False
        if too_large or (chunked and len(request.get_data(cache=True)) >= limit):
            raise RequestEntityTooLarge()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cache-Control", "no-store")
        if app.config["HEP_ENV"] == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    from swagger_ui_bundle import swagger_ui_path

    assets = Path(swagger_ui_path)

    @app.get("/api/v1/docs-assets/<path:filename>", endpoint="docs_assets")
    def _docs_assets(filename: str) -> Response:
        response = send_from_directory(assets, filename)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
