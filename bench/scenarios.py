"""What ``make bench`` measures: each scenario is one request shape at a fixed concurrency."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.seed import PASSWORD, Seeded


@dataclass(frozen=True)
class Scenario:
    """One request shape; ``documented`` is the OpenAPI operation it needs (None: a reference)."""

    name: str
    method: str
    path: str
    auth: str = "none"  # none | therapist | patients (one patient per connection)
    body_kind: str = "none"
    connections: int = 16
    documented: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Leaves far more data behind than any clinic holds (16 patients, ~100k records in 3 days):
    # measured after everything else, so no other figure reads through its pile.
    bulk_writes: bool = False

    def spec(self, seeded: Seeded, *, warmup: float, duration: float) -> dict[str, Any]:
        """The load generator's spec for this scenario."""
        if self.auth == "therapist":
            header_sets = [{"Authorization": f"Bearer {seeded.therapist_token}"}]
        elif self.auth == "patients":
            header_sets = [{"Authorization": f"Bearer {t}"} for t in seeded.patient_tokens]
        else:
            header_sets = [{}]
        body = self.extra.get("body")
        if self.name == "login":
            body = {"email": seeded.therapist_email, "password": PASSWORD}
        return {
            "method": self.method,
            "path": self.path,
            "header_sets": header_sets,
            "body_kind": self.body_kind,
            "body": body,
            "items": self.extra.get("items", 500),
            "connections": self.connections,
            "warmup": warmup,
            "duration": duration,
        }


TRIVIAL = Scenario("trivial (reference)", "GET", "/bench/trivial")
BARE_INSERT = Scenario(
    "bare insert (reference)", "POST", "/bench/bare-insert", body_kind="bare_insert"
)
PAIN_POST = Scenario(
    "POST /me/pain-ratings",
    "POST",
    "/api/v1/me/pain-ratings",
    auth="patients",
    body_kind="pain_rating",
    documented=("POST", "/api/v1/me/pain-ratings"),
)
PLAN = Scenario(
    "GET /me/plan",
    "GET",
    "/api/v1/me/plan",
    auth="patients",
    documented=("GET", "/api/v1/me/plan"),
)

SCENARIOS = [
    TRIVIAL,
    BARE_INSERT,
    Scenario(
        "login",
        "POST",
        "/api/v1/auth/login",
        body_kind="static",
        documented=("POST", "/api/v1/auth/login"),
    ),
    PLAN,
    PAIN_POST,
    Scenario(
        "sync 500 items (1 conn)",
        "POST",
        "/api/v1/me/sync",
        auth="patients",
        body_kind="sync",
        connections=1,
        documented=("POST", "/api/v1/me/sync"),
        bulk_writes=True,
    ),
    Scenario(
        "sync 500 items",
        "POST",
        "/api/v1/me/sync",
        auth="patients",
        body_kind="sync",
        documented=("POST", "/api/v1/me/sync"),
        bulk_writes=True,
    ),
    Scenario(
        "GET /patients (200)",
        "GET",
        "/api/v1/patients?limit=200",
        auth="therapist",
        documented=("GET", "/api/v1/patients"),
    ),
    Scenario(
        "GET /flags (queue)",
        "GET",
        "/api/v1/flags?status=open",
        auth="therapist",
        documented=("GET", "/api/v1/flags"),
    ),
]

# The worker-model comparison drives only what the targets are about.
COMPARISON = [TRIVIAL, BARE_INSERT, PAIN_POST, PLAN]


# gunicorn configurations compared on 2 cores: (label, environment).
def _config(kind: str, workers: int, threads: int = 1, preload: bool = True) -> dict[str, str]:
    return {
        "GUNICORN_WORKER_CLASS": kind,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_PRELOAD": "1" if preload else "0",
    }


WORKER_CONFIGS = [
    ("sync w=3", _config("sync", 3)),
    ("sync w=5", _config("sync", 5)),
    ("gthread w=2 t=4", _config("gthread", 2, 4)),
    ("gthread w=3 t=2", _config("gthread", 3, 2)),
    ("gthread w=4 t=4", _config("gthread", 4, 4)),
    ("gthread w=3 t=2, no preload", _config("gthread", 3, 2, preload=False)),
]
