"""Issue 25, metrics: ``GET /metrics`` parses as Prometheus text, has the request histograms by
route pattern and status, holds no id, name or e-mail in any label, and is refused unless the
metrics token (or a direct local connection) is presented."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from server.extensions import db
from tests.conftest import make_test_app
from tests.factories import UserHandle

UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
TOKEN = "metrics-token-for-tests-0123456789"


def scrape(client: FlaskClient, **kwargs) -> dict[str, object]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain"
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def samples(families: dict, name: str) -> list:
    return [s for f in families.values() for s in f.samples if s.name == name]


def value(families: dict, name: str, **labels: str) -> float:
    return sum(
        s.value
        for s in samples(families, name)
        if all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_parse_and_count_requests_by_route_pattern_and_status(
    client: FlaskClient, make_patient: Callable[..., UserHandle]
) -> None:
    patient = make_patient(name="Ayşe Yılmazoğlu", email="ayse.metrics@clinic.example")
    route = "/api/v1/me"
    before = scrape(client)
    for _ in range(3):
        assert client.get(route, headers=patient.headers).status_code == 200
    assert client.get(route).status_code == 401
    after = scrape(client)

    count = "hep_http_requests_total"
    assert (
        value(after, count, route=route, status="200")
        - value(before, count, route=route, status="200")
        == 3
    )
    assert (
        value(after, count, route=route, status="401")
        - value(before, count, route=route, status="401")
        == 1
    )
    histogram = "hep_http_request_duration_seconds"
    assert after[histogram].type == "histogram"
    buckets = [s for s in samples(after, f"{histogram}_bucket") if s.labels["route"] == route]
    assert {s.labels["le"] for s in buckets} >= {"0.005", "0.1", "1.0", "+Inf"}
    assert value(after, f"{histogram}_count", route=route, method="GET") >= 4
    for name in (
        "hep_db_pool_connections_in_use",
        "hep_outbox_backlog",
        "hep_outbox_oldest_age_seconds",
        "hep_reminder_oldest_overdue_seconds",
        "hep_flag_evaluation_oldest_pending_seconds",
        "hep_reminder_dispatch_lag_seconds",
        "hep_flag_evaluation_lag_seconds",
    ):
        assert name in after, name
    assert value(after, "hep_backlog_read_ok") == 1


def test_no_label_holds_an_id_a_name_or_an_email(
    client: FlaskClient,
    make_staff: Callable[..., UserHandle],
    make_patient: Callable[..., UserHandle],
) -> None:
    therapist = make_staff(name="Deniz Therapistoğlu", email="deniz.metrics@clinic.example")
    patient = make_patient(
        therapist, name="Zeynep Korkmazer", email="zeynep.metrics@clinic.example"
    )
    staff_headers = therapist.headers
    paths = [
        f"/api/v1/patients/{patient.id}",
        f"/api/v1/patients/{patient.id}/flags",
        f"/api/v1/patients/{uuid.uuid4()}/no-such-thing",
        f"/api/v1/no-such/{patient.email}",
        "/api/v1/me/pain-ratings?since=2026-01-01",
    ]
    for path in paths:
        client.get(path, headers=patient.headers)
        client.get(path, headers=staff_headers)
    client.open(f"/api/v1/patients/{patient.id}", method="ZEYNEP")  # a method made up
    text = client.get("/metrics").text
    labels = [
        v for family in text_string_to_metric_families(text) for s in family.samples
        for v in s.labels.values()
    ]  # fmt: skip
    assert "<unmatched>" in labels
    assert "other" in labels
    assert "/api/v1/patients/<uuid:patient_id>" in labels
    for label in labels:
        assert not UUID.search(label), label
        assert not EMAIL.search(label), label
        assert "?" not in label, label
    personal_data = (str(patient.id), str(therapist.id), patient.email, therapist.email)
    for personal in (*personal_data, "Zeynep", "ZEYNEP", "Korkmazer", "Deniz", "2026-01-01"):
        assert personal not in text


@pytest.fixture
def guarded(app: Flask) -> Iterator[FlaskClient]:
    guarded_app = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], METRICS_TOKEN=TOKEN)
    yield guarded_app.test_client()
    with guarded_app.app_context():
        db.engine.dispose()


def test_with_a_token_only_its_bearer_gets_metrics(guarded: FlaskClient) -> None:
    assert guarded.get("/metrics").status_code == 403
    wrong = guarded.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert wrong.mimetype == "application/problem+json"
    assert "hep_" not in wrong.text
    assert scrape(guarded, headers={"Authorization": f"Bearer {TOKEN}"})
    # from anywhere, with the token
    far = {"REMOTE_ADDR": "192.0.2.7"}
    assert scrape(guarded, headers={"Authorization": f"Bearer {TOKEN}"}, environ_base=far)


def test_without_a_token_only_direct_local_connections_get_metrics(client: FlaskClient) -> None:
    assert scrape(client)  # the test client connects from 127.0.0.1
    assert scrape(client, environ_base={"REMOTE_ADDR": "::1"})
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 403
    relayed = client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"})
    assert relayed.status_code == 403


def test_metrics_are_outside_the_api_spec(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/metrics" not in paths
    assert {"/livez", "/readyz", "/healthz"} <= set(paths)


def test_the_pool_gauge_returns_to_where_it_was(client: FlaskClient) -> None:
    before = value(scrape(client), "hep_db_pool_connections_in_use")
    for _ in range(3):
        client.get("/healthz")
    # the scrape itself holds one connection while it reads the backlogs, then returns it
    assert value(scrape(client), "hep_db_pool_connections_in_use") == before
