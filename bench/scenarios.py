"""What ``make bench`` measures: each scenario is one request shape at a fixed concurrency, most
of them against a reference served by the same gunicorn in the same run (``reference``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.seed import PASSWORD, Seeded, patient_group, today_local

TRIVIAL_NAME = "trivial (reference)"
BARE_NAME = "bare insert (reference)"


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
    # The reference scenario whose throughput this one's is a share of, in the same round.
    reference: str = ""
    # Which group of signed-in patients it uses (bench/seed.py LOAD_GROUPS).
    patient_group: int = 0

    def spec(self, seeded: Seeded, *, warmup: float, duration: float) -> dict[str, Any]:
        """The load generator's spec for this scenario."""
        item_sets: list[list[str]] = []
        if self.auth == "therapist":
            header_sets = [{"Authorization": f"Bearer {seeded.therapist_token}"}]
        elif self.auth == "patients":
            tokens = patient_group(seeded.patient_tokens, self.patient_group)
            header_sets = [{"Authorization": f"Bearer {t}"} for t in tokens]
            item_sets = patient_group(seeded.patient_items, self.patient_group)
        else:
            header_sets = [{}]
        body = self.extra.get("body")
        if self.name == "login":
            body = {"email": seeded.therapist_email, "password": PASSWORD}
        return {
            "method": self.method,
            "path": self.path,
            "header_sets": header_sets,
            "item_sets": item_sets,
            "today": today_local().isoformat(),
            "body_kind": self.body_kind,
            "body": body,
            "items": self.extra.get("items", 500),
            "connections": self.connections,
            "warmup": warmup,
            "duration": duration,
        }


TRIVIAL = Scenario(TRIVIAL_NAME, "GET", "/bench/trivial")
BARE_INSERT = Scenario(BARE_NAME, "POST", "/bench/bare-insert", body_kind="bare_insert")
PAIN_POST = Scenario(
    "POST /me/pain-ratings",
    "POST",
    "/api/v1/me/pain-ratings",
    auth="patients",
    body_kind="pain_rating",
    documented=("POST", "/api/v1/me/pain-ratings"),
    reference=BARE_NAME,
)
PLAN = Scenario(
    "GET /me/plan",
    "GET",
    "/api/v1/me/plan",
    auth="patients",
    documented=("GET", "/api/v1/me/plan"),
    reference=BARE_NAME,
)
SESSION_POST = Scenario(
    "POST /me/session-logs",
    "POST",
    "/api/v1/me/session-logs",
    auth="patients",
    body_kind="session_log",
    documented=("POST", "/api/v1/me/session-logs"),
    reference=BARE_NAME,
    patient_group=1,  # its pile of one day's sessions would slow the plan's patients' day
)
PATIENTS = Scenario(
    "GET /patients (200)",
    "GET",
    "/api/v1/patients?limit=200",
    auth="therapist",
    documented=("GET", "/api/v1/patients"),
    reference=TRIVIAL_NAME,
)


def _bulk_pair(connections: int, sync_name: str, reference: str) -> list[Scenario]:
    """The 500-item sync and its reference (the same body, 500 rows in one bare INSERT)."""
    return [
        Scenario(
            reference,
            "POST",
            "/bench/bulk-insert",
            body_kind="bulk_insert",
            connections=connections,
            bulk_writes=True,
        ),
        Scenario(
            sync_name,
            "POST",
            "/api/v1/me/sync",
            auth="patients",
            body_kind="sync",
            connections=connections,
            documented=("POST", "/api/v1/me/sync"),
            bulk_writes=True,
            reference=reference,
        ),
    ]


SYNC_ONE = _bulk_pair(1, "sync 500 items (1 conn)", "bulk insert 500 (1 conn, reference)")
SYNC_SIXTEEN = _bulk_pair(16, "sync 500 items", "bulk insert 500 (reference)")

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
    SESSION_POST,
    PATIENTS,
    Scenario(
        "GET /flags (queue)",
        "GET",
        "/api/v1/flags?status=open",
        auth="therapist",
        documented=("GET", "/api/v1/flags"),
        reference=TRIVIAL_NAME,
    ),
    *SYNC_ONE,
    *SYNC_SIXTEEN,
]

# Measured in three interleaved rounds (each with its reference): what the targets are about.
# Each target beside its reference, in every round's order and its reverse (``round_order``): a
# host that drifts within a run moves a ratio less when its two sides are measured seconds apart.
ROUNDS = [PLAN, PAIN_POST, SESSION_POST, BARE_INSERT, TRIVIAL, PATIENTS]
BULK_ROUNDS = [*SYNC_ONE, *SYNC_SIXTEEN]

# The worker-model comparison drives only the single-request targets.
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
