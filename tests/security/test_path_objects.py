"""``allow`` loads the patient-scoped objects a path names once; the view reuses them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db


def test_a_patient_named_by_the_path_is_read_once_per_request(
    app: Flask, client: FlaskClient, make_staff, make_patient
) -> None:
    therapist = make_staff()
    patient = make_patient(therapist)
    selects: list[str] = []

    def record(_connection, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(f"/api/v1/patients/{patient.id}", headers=therapist.headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert response.json["id"] == str(patient.id)
    # The scoped load: the patient's row by id within the caller's clinic.
    scoped_loads = [s for s in selects if "patients.clinic_id = " in s and "patients.id = " in s]
    assert len(scoped_loads) == 1, scoped_loads
