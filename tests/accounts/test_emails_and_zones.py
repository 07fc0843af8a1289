"""Issue 20 items 8 and 10: emails are NFKC-normalised with invisible and look-alike characters
refused; time zones are real IANA names; an address is unique per clinic, so creating someone
says nothing about other clinics, and login tells the accounts apart by their passwords."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from server.accounts.rules import is_iana_timezone
from tests.accounts.helpers import login
from tests.factories import ClinicHandle, UserHandle

PROBLEM = "application/problem+json"


def _new_patient(email: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "New Patient",
        "email": email,
        "timezone": "Europe/Istanbul",
        "language": "en",
        **fields,
    }


@pytest.mark.parametrize(
    "email",
    [
        "p\u0430tient@mail.example",  # a Cyrillic а
        "pat\u200bient@mail.example",  # a zero-width space
        "patient\u2060@mail.example",  # a word joiner
        "\ufeffpatient@mail.example",  # a byte-order mark
        "ayşe@mail.example",
    ],
    ids=["cyrillic", "zero-width space", "word joiner", "bom", "non-ascii"],
)
def test_look_alike_or_invisible_addresses_are_refused(
    client: FlaskClient, make_staff: Callable[..., UserHandle], email: str
) -> None:
    therapist = make_staff()
    response = client.post("/api/v1/patients", json=_new_patient(email), headers=therapist.headers)
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert "email" in response.json["errors"]


def test_addresses_are_nfkc_normalised_so_full_width_letters_match(
    client: FlaskClient, make_staff: Callable[..., UserHandle]
) -> None:
    therapist = make_staff()
    first = client.post(
        "/api/v1/patients", json=_new_patient("ann@mail.example"), headers=therapist.headers
    )
    assert first.status_code == 201
    full_width = client.post(
        "/api/v1/patients", json=_new_patient("ａｎｎ@mail.example"), headers=therapist.headers
    )
    assert full_width.status_code == 409


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "posix/Europe/Istanbul"])
def test_host_links_are_not_time_zones(
    client: FlaskClient, make_patient: Callable[..., UserHandle], zone: str
) -> None:
    assert not is_iana_timezone(zone)
    patient = make_patient()
    response = client.patch(
        "/api/v1/me/preferences", json={"timezone": zone}, headers=patient.headers
    )
    assert response.status_code == 422
    assert "timezone" in response.json["errors"]


def test_real_zones_are_time_zones() -> None:
    for zone in ("Europe/Istanbul", "America/New_York", "UTC", "Asia/Kolkata"):
        assert is_iana_timezone(zone), zone


def test_another_clinics_patient_can_be_created_and_nothing_about_them_is_revealed(
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    elsewhere = make_patient(email="shared@mail.example")
    here = make_staff()
    assert here.clinic_id != elsewhere.clinic_id
    taken = client.post(
        "/api/v1/patients", json=_new_patient("shared@mail.example"), headers=here.headers
    )
    fresh = client.post(
        "/api/v1/patients", json=_new_patient("fresh@mail.example"), headers=here.headers
    )
    assert (taken.status_code, fresh.status_code) == (201, 201)
    assert taken.json.keys() == fresh.json.keys()
    staff = {"name": "T", "email": "shared@mail.example", "password": "a-strong-passphrase"}
    third_clinic_admin = make_staff(role="clinic_admin")
    created = client.post("/api/v1/therapists", json=staff, headers=third_clinic_admin.headers)
    assert created.status_code == 201
    # Within one clinic the address is still one account (its own staff see its patients).
    admin_here = make_staff(ClinicHandle(here.clinic_id, "here"), role="clinic_admin")
    again = client.post("/api/v1/therapists", json=staff, headers=admin_here.headers)
    assert again.status_code == 409
    # The other clinic's patient still logs in, to their own clinic.
    answer = login(client, "shared@mail.example", elsewhere.password)
    assert answer.status_code == 200
    assert answer.json["user"]["id"] == str(elsewhere.id)


def test_login_tells_accounts_with_one_address_apart_by_their_passwords(
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    first = make_patient(email="twice@mail.example")
    second_therapist = make_staff()
    created = client.post(
        "/api/v1/patients",
        json=_new_patient("twice@mail.example"),
        headers=second_therapist.headers,
    ).json
    assert created["id"] != str(first.id)
    # Same address and the same password at both clinics: the login must name the clinic.
    from server.accounts.models import User
    from server.accounts.passwords import hash_password
    from server.extensions import db

    with client.application.app_context():
        db.session.get_one(User, uuid.UUID(created["id"])).password_hash = hash_password(
            first.password
        )
        db.session.commit()
    ambiguous = login(client, "twice@mail.example", first.password)
    assert ambiguous.status_code == 409
    assert ambiguous.json["type"] == "/problems/choose-clinic"
    assert {c["id"] for c in ambiguous.json["clinics"]} == {
        str(first.clinic_id),
        str(second_therapist.clinic_id),
    }
    chosen = client.post(
        "/api/v1/auth/login",
        json={
            "email": "twice@mail.example",
            "password": first.password,
            "clinic_id": str(second_therapist.clinic_id),
        },
    )
    assert chosen.status_code == 200
    assert chosen.json["user"]["id"] == created["id"]
    # A different password at the second clinic: the password alone decides, no question.
    with client.application.app_context():
        db.session.get_one(User, uuid.UUID(created["id"])).password_hash = hash_password(
            "other-passphrase"
        )
        db.session.commit()
    only_first = login(client, "twice@mail.example", first.password)
    assert only_first.status_code == 200
    assert only_first.json["user"]["id"] == str(first.id)
    assert login(client, "twice@mail.example", "wrong-passphrase").status_code == 401
