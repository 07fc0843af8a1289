"""PATCH /therapists/{id}: a clinic admin manages colleagues; deactivated means out at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.access import Actor
from server.accounts.services import update_staff
from server.audit.models import AuditEvent
from server.errors import Forbidden
from server.extensions import db
from tests.accounts.helpers import bearer, login
from tests.factories import UserHandle


def _patch(client: FlaskClient, who: UserHandle, target: UserHandle, body: dict[str, Any]):
    return client.patch(f"/api/v1/therapists/{target.id}", json=body, headers=who.headers)


def test_deactivating_a_therapist_ends_their_sessions_and_login(
    app: Flask,
    client: FlaskClient,
    make_clinic: Callable[..., Any],
    make_staff: Callable[..., UserHandle],
) -> None:
    clinic = make_clinic()
    admin, leaver = make_staff(clinic, role="clinic_admin"), make_staff(clinic)
    assert client.get("/api/v1/patients", headers=leaver.headers).status_code == 200

    response = _patch(client, admin, leaver, {"is_active": False})

    assert response.status_code == 200, response.json
    assert response.json["is_active"] is False
    assert client.get("/api/v1/patients", headers=leaver.headers).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(leaver.refresh_token))
    assert refreshed.status_code == 401
    assert login(client, leaver.email, leaver.password).status_code == 401
    # Back again: login works.
    assert _patch(client, admin, leaver, {"is_active": True}).json["is_active"] is True
    assert login(client, leaver.email, leaver.password).status_code == 200
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_id == str(leaver.id))
            .order_by(AuditEvent.at)
        ).all()
    assert actions[-2:] == ["staff.deactivate", "staff.reactivate"]


def test_name_language_and_role_change(
    client: FlaskClient, make_clinic: Callable[..., Any], make_staff: Callable[..., UserHandle]
) -> None:
    clinic = make_clinic()
    admin, therapist = make_staff(clinic, role="clinic_admin"), make_staff(clinic)
    body = {"name": "Dr. Ayşe Kaya", "language": "tr", "role": "clinic_admin"}

    response = _patch(client, admin, therapist, body)

    assert response.status_code == 200, response.json
    assert {k: response.json[k] for k in body} == body
    assert _patch(client, admin, therapist, {"email": "x@clinic.example"}).status_code == 422


def test_the_clinic_always_keeps_an_active_admin(
    client: FlaskClient, make_clinic: Callable[..., Any], make_staff: Callable[..., UserHandle]
) -> None:
    clinic = make_clinic()
    admin, therapist = make_staff(clinic, role="clinic_admin"), make_staff(clinic)

    for body in ({"is_active": False}, {"role": "therapist"}):
        refused = _patch(client, admin, admin, body)
        assert refused.status_code == 409, body
    assert _patch(client, admin, therapist, {"role": "clinic_admin"}).status_code == 200
    # With a second admin, the first may step down.
    stepped_down = _patch(client, admin, admin, {"role": "therapist"})
    assert stepped_down.status_code == 200
    assert stepped_down.json["role"] == "therapist"


def test_only_admins_of_the_same_clinic_manage_staff(
    client: FlaskClient, make_clinic: Callable[..., Any], make_staff: Callable[..., UserHandle]
) -> None:
    clinic = make_clinic()
    admin, therapist = make_staff(clinic, role="clinic_admin"), make_staff(clinic)
    other_admin = make_staff(role="clinic_admin")

    assert _patch(client, therapist, admin, {"is_active": False}).status_code == 403
    hidden = _patch(client, other_admin, therapist, {"is_active": False})
    assert hidden.status_code == 404
    assert therapist.email not in hidden.get_data(as_text=True)
    assert client.get("/api/v1/patients", headers=therapist.headers).status_code == 200


def test_a_demoted_admin_loses_admin_powers_at_once(
    client: FlaskClient, make_clinic: Callable[..., Any], make_staff: Callable[..., UserHandle]
) -> None:
    """Tokens carry the role: a role change ends every session, and the clinic lock re-reads
    the caller's own row, so a just-demoted admin cannot promote themself back."""
    clinic = make_clinic()
    first, second = make_staff(clinic, role="clinic_admin"), make_staff(clinic, role="clinic_admin")

    assert _patch(client, first, second, {"role": "therapist"}).status_code == 200

    assert _patch(client, second, second, {"role": "clinic_admin"}).status_code == 401
    assert _patch(client, second, first, {"role": "therapist"}).status_code == 401
    with client.application.app_context():
        demoted = Actor(second.id, "clinic_admin", clinic.id)  # a token issued before
        with pytest.raises(Forbidden):
            update_staff(first.id, actor=demoted, changes={"is_active": False})


@pytest.mark.parametrize(
    ("change", "activation"),
    [({"is_active": False}, 410), ({"role": "clinic_admin"}, 201)],
    ids=["a leaver's codes stop working", "a promotion keeps them"],
)
def test_codes_a_staff_member_issued(
    client: FlaskClient,
    make_clinic: Callable[..., Any],
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
    change: dict[str, Any],
    activation: int,
) -> None:
    clinic = make_clinic()
    admin, issuer = make_staff(clinic, role="clinic_admin"), make_staff(clinic)
    patient = make_patient(issuer)
    issued = client.post(f"/api/v1/patients/{patient.id}/invitations", headers=issuer.headers)
    assert issued.status_code == 201

    assert _patch(client, admin, issuer, change).status_code == 200

    body = {"invite_code": issued.json["code"], "password": "a-new-strong-passphrase"}
    assert client.post("/api/v1/auth/activate", json=body).status_code == activation


def _login_while_an_admin_commits(
    client: FlaskClient, user: UserHandle, change: dict[str, Any], monkeypatch: Any
):
    """Log in as ``user`` while another request commits ``change`` to their account, between
    the password check (argon2) and the session."""
    from server.accounts import sessions
    from server.accounts.models import User

    verify = sessions.verify_password

    def verify_while_it_commits(stored: str | None, password: str) -> bool:
        verified = verify(stored, password)
        with db.engine.begin() as connection:
            connection.execute(sa.update(User).where(User.id == user.id).values(**change))
        return verified

    monkeypatch.setattr(sessions, "verify_password", verify_while_it_commits)
    return login(client, user.email, user.password)


def test_a_login_racing_a_deactivation_opens_no_session(
    client: FlaskClient, make_staff: Callable[..., UserHandle], monkeypatch: Any
) -> None:
    leaver = make_staff()
    response = _login_while_an_admin_commits(client, leaver, {"is_active": False}, monkeypatch)
    assert response.status_code == 401


def test_each_kind_of_change_has_its_own_audit_event(
    app: Flask,
    client: FlaskClient,
    make_clinic: Callable[..., Any],
    make_staff: Callable[..., UserHandle],
) -> None:
    clinic = make_clinic()
    admin, therapist = make_staff(clinic, role="clinic_admin"), make_staff(clinic)
    body = {"role": "clinic_admin", "name": "Dr. New Name", "is_active": True}
    assert _patch(client, admin, therapist, body).status_code == 200
    assert _patch(client, admin, therapist, {}).status_code == 200  # nothing changed
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_id == str(therapist.id))
        ).all()
    assert sorted(actions) == ["staff.role_change", "staff.update"]


def test_a_login_racing_a_demotion_gets_the_new_role(
    client: FlaskClient,
    make_clinic: Callable[..., Any],
    make_staff: Callable[..., UserHandle],
    monkeypatch: Any,
) -> None:
    clinic = make_clinic()
    make_staff(clinic, role="clinic_admin")
    demoted = make_staff(clinic, role="clinic_admin")

    response = _login_while_an_admin_commits(client, demoted, {"role": "therapist"}, monkeypatch)

    assert response.status_code == 200
    assert response.json["user"]["role"] == "therapist"
    body = {"name": "X", "email": "x@clinic.example", "password": "a-strong-passphrase"}
    headers = {"Authorization": f"Bearer {response.json['access_token']}"}
    assert client.post("/api/v1/therapists", json=body, headers=headers).status_code == 403
