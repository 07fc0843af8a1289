#!/usr/bin/env bash
# The end-to-end tests' server: this checkout's API and console on a fresh, seeded SQLite file.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="$ROOT/.venv/bin"
DATA="$(mktemp -d)"
trap 'rm -rf "$DATA"' EXIT
export FLASK_APP=wsgi.py HEP_ENV=development HOST=127.0.0.1 PORT="${E2E_PORT:-8765}"
export DATABASE_URL="sqlite:///$DATA/e2e.db" LOG_LEVEL=WARNING WEB_CONCURRENCY=1 GUNICORN_WORKER_CLASS=gthread GUNICORN_THREADS=4
# One process, so the in-memory rate-limit counters are shared; one address signs in many
# times in a run, while the per-account limit (tested) stays as shipped.
export LOGIN_RATE_LIMIT="200 per minute"
cd "$ROOT"
"$BIN/flask" db upgrade >/dev/null 2>&1
"$BIN/flask" seed >/dev/null 2>&1
"$BIN/gunicorn" -c gunicorn.conf.py wsgi:app &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT INT TERM
wait $SERVER
