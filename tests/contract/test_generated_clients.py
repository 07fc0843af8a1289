"""Clients generated from the served spec, as an app team would make them: a Python client with
openapi-python-client and TypeScript types with openapi-typescript, both without a warning, the
TypeScript type-checked by tsc, with nothing left untyped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "web" / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = make_test_app("sqlite://")
    path = tmp_path_factory.mktemp("spec") / "openapi.json"
    path.write_text(json.dumps(app.test_client().get("/api/v1/openapi.json").get_json()))
    return path


def _run(*command: str | Path, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


# The generator reads JSON, text/* and octet-stream bodies; a PDF (the progress report) is bytes
# to it, as its documentation tells app teams to declare.
CLIENT_CONFIG = json.dumps(
    {"content_type_overrides": {"application/pdf": "application/octet-stream"}}
)


def test_the_python_client_generates_without_warnings(spec_file: Path, tmp_path: Path) -> None:
    generator = Path(sys.executable).parent / "openapi-python-client"
    config = tmp_path / "config.json"
    config.write_text(CLIENT_CONFIG)
    output = _run(
        generator,
        "generate",
        "--path",
        spec_file,
        "--config",
        config,
        "--output-path",
        tmp_path / "client",
        cwd=tmp_path,
    )
    assert "Warning" not in output, output
    package = tmp_path / "client" / "hep_tracker_api_client"
    modules = {path.stem for path in (package / "api").rglob("*.py")}
    assert {"list_patients", "record_pain_rating", "sync_records", "resolve_flag"} <= modules
    assert {"get_patient_report", "read_calendar_feed"} <= modules
    # Names a developer can read: no numbered variants of one type.
    odd = [
        path.name for path in (package / "models").glob("*.py") if re.search(r"type_\d", path.name)
    ]
    assert not odd, odd
    _run(sys.executable, "-m", "compileall", "-q", package, cwd=tmp_path)


def test_the_typescript_types_generate_and_type_check(spec_file: Path, tmp_path: Path) -> None:
    if not (NODE_BIN / "openapi-typescript").exists():
        message = "web/node_modules is missing: run `npm ci` in web/ (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    types = tmp_path / "api.d.ts"
    output = _run(NODE_BIN / "openapi-typescript", spec_file, "-o", types, cwd=tmp_path)
    assert "warn" not in output.lower(), output
    text = types.read_text()
    # Response headers are typed by openapi-typescript itself as an open map; nothing else may be.
    untyped = [
        line.strip()
        for line in text.splitlines()
        if "unknown" in line and "[name: string]: unknown" not in line and "*" not in line
    ]
    assert not untyped, untyped
    assert "export type operations = Record<string, never>" not in text
    (tmp_path / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": {"strict": True, "noEmit": True}, "files": ["api.d.ts"]})
    )
    _run(NODE_BIN / "tsc", "-p", tmp_path / "tsconfig.json", cwd=tmp_path)
