"""Consent (issue 24 item 1): activation records it, a new version asks again, withdrawal stops
processing and tells the therapist, consenting again restarts; every decision is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.accounts.models import ConsentText
from server.accounts.seed import ConsentSeedError, load_consent_texts
from server.audit.models import AuditEvent
from server.clock import utcnow
from server.extensions import db
from server.flags import queue
from server.reminders.models import Delivery
from tests.accounts.helpers import STRONG_PASSWORD, bearer
from tests.factories import UserHandle


@pytest.fixture
def consent_texts(app: Flask, seed_dir: Path) -> dict[str, int]:
    """The consent texts of ``seed/consents`` (committed)."""
    with app.app_context():
        counts = load_consent_texts(seed_dir)
        db.session.commit()
    return counts


def _activate(
    client: FlaskClient, patient: UserHandle, therapist: UserHandle, **extra: object
) -> object:
    url = f"/api/v1/patients/{patient.id}/invitations"
    code = client.post(url, headers=therapist.headers).json["code"]
    body = {"invite_code": code, "password": STRONG_PASSWORD, **extra}
    return client.post("/api/v1/auth/activate", json=body, headers={"Accept-Language": "tr"})


@pytest.fixture
def activated(
    client: FlaskClient,
    consent_texts: dict[str, int],
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> tuple[UserHandle, UserHandle, dict[str, str]]:
    """(therapist, patient, the patient's headers after activating with the contract's body)."""
    therapist = make_staff()
    patient = make_patient(therapist)
    response = _activate(client, patient, therapist)
    assert response.status_code == 201, response.json
    return therapist, patient, bearer(response.json["access_token"])


def _actions(app: Flask, patient_id: uuid.UUID) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.action)
                .where(AuditEvent.patient_id == patient_id)
                .order_by(AuditEvent.at)
            )
        )


def _pain(client: FlaskClient, headers: dict[str, str], **extra_headers: str):
    body = {
        "id": str(uuid.uuid4()),
        "recorded_at": utcnow().isoformat(),
        "score": 4,
        "context": "now",
    }
    return client.post("/api/v1/me/pain-ratings", json=body, headers={**headers, **extra_headers})


def test_the_current_text_is_public_in_either_language(
    client: FlaskClient, consent_texts: dict[str, int]
) -> None:
    assert consent_texts == {"consent_texts": 1}
    response = client.get("/api/v1/consents/current?lang=tr")
    assert response.status_code == 200
    assert response.json["version"] == 1
    assert list(response.json["text"]) == ["tr"]
    assert "KVKK" in response.json["text"]["tr"]
    both = client.get("/api/v1/consents/current").json["text"]
    assert set(both) == {"tr", "en"}
    assert "withdraw" in both["en"]


def test_no_published_text_is_404(client: FlaskClient) -> None:
    assert client.get("/api/v1/consents/current").status_code == 404


def test_activation_records_consent_to_the_current_version_in_the_request_language(
    app: Flask, client: FlaskClient, activated
) -> None:
    _, patient, headers = activated
    mine = client.get("/api/v1/me/consents", headers=headers)
    assert mine.status_code == 200
    assert mine.json["current_version"] == 1
    assert mine.json["consent_required"] is False
    (decision,) = mine.json["items"]
    assert (decision["version"], decision["language"]) == (1, "tr")
    assert decision["withdrawn_at"] is None
    assert client.get("/api/v1/me", headers=headers).json["consent"]["consent_required"] is False
    assert "consent.give" in _actions(app, patient.id)


def test_activation_naming_another_version_is_refused_so_the_app_shows_the_text_again(
    client: FlaskClient,
    consent_texts: dict[str, int],
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    response = _activate(client, patient, therapist, consent_version=7)
    assert response.status_code == 409
    assert response.json["type"] == "/problems/consent-not-current"
    assert response.json["current_version"] == 1
    assert _activate(client, patient, therapist, consent_version=1).status_code == 201


def test_a_new_version_asks_again_at_sign_in(app: Flask, client: FlaskClient, activated) -> None:
    _, _, headers = activated
    with app.app_context():
        db.session.add(
            ConsentText(
                version=2,
                published=utcnow().date() - timedelta(days=1),
                text={"tr": "Yeni metin", "en": "New text"},
            )
        )
        db.session.commit()
    consent = client.get("/api/v1/me", headers=headers).json["consent"]
    assert consent == {
        "current_version": 2,
        "accepted_version": 1,
        "withdrawn": False,
        "consent_required": True,
    }
    stale = client.post("/api/v1/me/consents", json={"version": 1}, headers=headers)
    assert stale.status_code == 409
    assert stale.json["current_version"] == 2
    accepted = client.post("/api/v1/me/consents", json={"version": 2}, headers=headers)
    assert accepted.status_code == 201
    assert accepted.json["consent_required"] is False
    history = client.get("/api/v1/me/consents", headers=headers).json["items"]
    assert [item["version"] for item in history] == [1, 2]


def test_withdrawal_refuses_new_records_tells_the_therapist_and_is_audited(
    app: Flask, client: FlaskClient, activated
) -> None:
    therapist, patient, headers = activated
    withdrawn = client.post("/api/v1/me/consents/withdraw", headers=headers)
    assert withdrawn.status_code == 200
    assert withdrawn.json["withdrawn"] is True
    assert withdrawn.json["consent_required"] is True
    refused = _pain(client, headers, **{"Accept-Language": "tr"})
    assert refused.status_code == 409
    assert refused.json["type"] == "/problems/consent-withdrawn"
    assert "rıza" in refused.json["detail"]
    assert "withdrawn your consent" in _pain(client, headers).json["detail"]
    sync = client.post("/api/v1/me/sync", json={"items": []}, headers=headers)
    assert sync.status_code == 409
    assert client.post("/api/v1/me/consents/withdraw", headers=headers).status_code == 409
    with app.app_context():
        alerts = db.session.scalars(
            sa.select(Delivery).where(Delivery.kind == "consent_withdrawn")
        ).all()
    assert [(a.recipient_id, a.channel) for a in alerts] == [(therapist.id, "staff")]
    assert alerts[0].payload["patient_id"] == str(patient.id)
    assert "consent.withdraw" in _actions(app, patient.id)


def test_consenting_again_restarts_processing(client: FlaskClient, activated) -> None:
    _, _, headers = activated
    client.post("/api/v1/me/consents/withdraw", headers=headers)
    assert _pain(client, headers).status_code == 409
    again = client.post("/api/v1/me/consents", json={"version": 1}, headers=headers)
    assert again.status_code == 201
    assert again.json["withdrawn"] is False
    assert _pain(client, headers).status_code == 201


def test_the_seed_loads_each_version_once(app_ctx: Flask, seed_dir: Path) -> None:
    assert load_consent_texts(seed_dir) == {"consent_texts": 1}
    assert load_consent_texts(seed_dir) == {"consent_texts": 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentText)) == 1


def test_a_text_missing_a_language_is_refused(app_ctx: Flask, tmp_path: Path) -> None:
    (tmp_path / "consents").mkdir()
    (tmp_path / "consents" / "v9.yaml").write_text(
        "version: 9\npublished: 2026-01-01\ntext:\n  en: Only English\n", encoding="utf-8"
    )
    with pytest.raises(ConsentSeedError, match=r"v9\.yaml"):
        load_consent_texts(tmp_path)


def test_withdrawal_refuses_questionnaire_responses(
    client: FlaskClient, activated, measure_library: dict[str, int]
) -> None:
    _, _, headers = activated
    client.post("/api/v1/me/consents/withdraw", headers=headers)
    body = {
        "id": str(uuid.uuid4()),
        "recorded_at": utcnow().isoformat(),
        "measure": "GROC",
        "answers": [{"item": "overall_change", "value": 2}],
    }
    refused = client.post("/api/v1/me/measure-responses", json=body, headers=headers)
    assert refused.status_code == 409
    assert refused.json["type"] == "/problems/consent-withdrawn"


def test_the_flag_engine_no_longer_evaluates_a_patient_who_withdrew(
    app: Flask, client: FlaskClient, activated
) -> None:
    _, patient, headers = activated
    now = utcnow()
    with app.app_context():
        queue.mark_due(
            patient_id=patient.id, clinic_id=patient.clinic_id, days=[now.date()], now=now
        )
        db.session.commit()
        assert [s.patient_id for s in queue.claim_due(now, 10)] == [patient.id]
        db.session.rollback()
    client.post("/api/v1/me/consents/withdraw", headers=headers)
    with app.app_context():
        queue.mark_due(
            patient_id=patient.id, clinic_id=patient.clinic_id, days=[now.date()], now=now
        )
        db.session.commit()
        assert queue.claim_due(now + timedelta(minutes=1), 10) == []
