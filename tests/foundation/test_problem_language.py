"""Problems speak the reader's language: Accept-Language first, then the signed-in user's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from server.translations import TURKISH, TURKISH_PATTERNS, translate


def test_accept_language_turns_detail_title_and_field_messages_into_turkish(
    client: FlaskClient,
) -> None:
    answer = client.post("/api/v1/auth/login", json={}, headers={"Accept-Language": "tr-TR"})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["title"] == "İşlenemeyen içerik"
    assert body["detail"] == "İstek gövdesi veya sorgusu geçersiz."
    assert body["errors"]["email"] == ["Zorunlu alan eksik."]
    assert body["type"] == "/problems/validation-error"  # the machine-readable part never changes


def test_english_is_kept_when_asked_for_or_when_nothing_says_otherwise(
    client: FlaskClient,
) -> None:
    asked = client.post("/api/v1/auth/login", json={}, headers={"Accept-Language": "en, tr;q=0.5"})
    assert asked.get_json()["errors"]["email"] == ["Missing data for required field."]
    anonymous = client.post("/api/v1/auth/login", json={})
    assert anonymous.get_json()["detail"] == "The request body or query is invalid."


def test_without_the_header_a_signed_in_users_language_is_used(
    client: FlaskClient, make_staff: Callable[..., Any], make_patient: Callable[..., Any]
) -> None:
    turkish, english = (make_patient(make_staff(), language=lang) for lang in ("tr", "en"))
    for patient, detail in [
        (turkish, "Rolünüz bu işlemi kullanamaz."),
        (english, "Your role may not use this endpoint."),
    ]:
        answer = client.get("/api/v1/patients", headers=patient.headers)
        assert (answer.status_code, answer.get_json()["detail"]) == (403, detail)


def test_messages_with_values_and_paths_translate_around_them() -> None:
    assert translate("Must be between 1900 and 2026.", "tr") == "1900 ile 2026 arasında olmalı."
    assert translate("0.item_id: Not a valid UUID.", "tr") == "0.item_id: Geçerli bir UUID değil."
    assert translate("Something new.", "tr") == "Something new."  # untranslated stays English
    assert translate("Not a valid UUID.", "en") == "Not a valid UUID."


def test_every_translation_is_real_text_not_a_copy() -> None:
    assert all(tr and tr != en for en, tr in TURKISH.items())
    assert all(pattern.pattern and template for pattern, template in TURKISH_PATTERNS)


def test_a_sync_items_field_messages_follow_accept_language_too(
    client: FlaskClient, make_staff: Callable[..., Any], make_patient: Callable[..., Any]
) -> None:
    patient = make_patient(make_staff())
    answer = client.post(
        "/api/v1/me/sync",
        json={"items": [{"kind": "pain_rating", "data": {}}]},
        headers={**patient.headers, "Accept-Language": "tr"},
    )
    assert answer.status_code == 200
    assert answer.get_json()["results"][0]["errors"]["score"] == ["Zorunlu alan eksik."]
