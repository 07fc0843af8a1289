"""Login locks the account's row only: found by the cluster test, where a login, an ingest and the
scheduler's outbox insert deadlocked (the login also locked the clinic's row, and waited for the
outbox's foreign-key check on the user).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest
from flask.testing import FlaskClient

from tests.accounts.helpers import login
from tests.factories import UserHandle


def test_login_waits_neither_for_the_clinic_nor_for_foreign_key_checks(
    backend: str,
    database_url: str,
    client: FlaskClient,
    make_patient: Callable[..., UserHandle],
) -> None:
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite locks the whole database)")
    patient = make_patient()
    answers: dict[str, int] = {}

    def log_in() -> None:
        answers["status"] = login(client, patient.email, patient.password).status_code

    libpq_url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq_url) as other:
        # What an open transaction holds after inserting any row of the clinic (an ingest), and
        # what the scheduler's transaction holds after queueing a push to this patient.
        other.execute("SELECT 1 FROM clinics WHERE id = %s FOR KEY SHARE", (patient.clinic_id,))
        other.execute("SELECT 1 FROM users WHERE id = %s FOR KEY SHARE", (patient.id,))
        thread = threading.Thread(target=log_in)
        thread.start()
        thread.join(timeout=5)
        waited = thread.is_alive()
        other.rollback()
    thread.join(timeout=15)
    assert not waited, "the login waited for another transaction's key-share lock"
    assert answers["status"] == 200
