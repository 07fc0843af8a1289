"""Measures are data: ``seed/measures/*.yaml`` validated against the API's own schemas, loaded
idempotently, a bad file refused naming the file and the field, and a new file a new measure
(``flask seed``), with no code."""

from __future__ import annotations

import shutil
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from flask import Flask

from server.extensions import db
from server.measures.library_schemas import MeasureIn, MeasureOut
from server.measures.models import Measure
from server.measures.services import SeedError, load_measures
from tests.conftest import count

SHIPPED = {"NDI", "PSFS", "GROC", "HIT-6"}


def _raw(seed_dir: Path) -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text("utf-8")) for p in sorted(seed_dir.glob("measures/*.yaml"))]


def test_the_shipped_measures_are_valid_bilingual_paraphrased_and_cited(seed_dir: Path) -> None:
    measures = {m["code"]: m for m in (MeasureIn().load(raw) for raw in _raw(seed_dir))}
    assert set(measures) == SHIPPED
    for measure in measures.values():
        assert measure["wording"] == "paraphrase"
        texts = [measure[f] for f in ("name", "description", "recall_period", "licence")]
        texts += [i["text"] for i in measure["items"]]
        texts += [o["label"] for i in measure["items"] for o in i["options"]]
        texts += [b["label"] for b in measure["bands"]]
        for text in texts:
            assert text["en"].strip(), (measure["code"], text)
            assert text["tr"].strip(), (measure["code"], text)
        assert len(measure["change"]["mcid"]["citation"]) > 20
    assert measures["NDI"]["change"]["mcid"]["value"] == 7.5
    assert measures["NDI"]["change"]["mdc"]["value"] == 10.2
    assert measures["PSFS"]["change"]["mcid"]["value"] == 2.0
    assert measures["HIT-6"]["change"]["mcid"]["value"] == 6
    assert measures["GROC"]["change"]["mcid"]["value"] == 3
    assert [b["start"] for b in measures["HIT-6"]["bands"]] == [36, 50, 56, 60]
    assert "licen" in measures["NDI"]["licence"]["en"]
    assert "licen" in measures["HIT-6"]["licence"]["en"]


def test_the_librarys_answer_is_the_seed_definition_itself(seed_dir: Path) -> None:
    """``MeasureOut`` dumps what ``MeasureIn`` loaded, and that loads back unchanged: the seed
    files and the API describe one schema."""
    for raw in _raw(seed_dir):
        loaded = MeasureIn().load(raw)
        assert MeasureIn().load(MeasureOut().dump(loaded)) == loaded


def test_loading_twice_changes_nothing_and_a_changed_file_updates_in_place(
    app_ctx: Flask, seed_dir: Path, tmp_path: Path
) -> None:
    assert load_measures(seed_dir) == {"measures": 4}
    db.session.commit()
    assert load_measures(seed_dir) == {"measures": 4}
    db.session.commit()
    assert count(Measure) == 4
    copy = tmp_path / "seed"
    shutil.copytree(seed_dir, copy)
    path = copy / "measures/ndi.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw["version"], raw["wording"] = "2", "validated"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    load_measures(copy)
    db.session.commit()
    ndi = db.session.scalar(sa.select(Measure).where(Measure.code == "NDI"))
    assert (ndi.version, ndi.definition["wording"], count(Measure)) == ("2", "validated", 4)


def _broken(raw: dict[str, Any], change: str) -> dict[str, Any]:
    if change == "no_tr":
        del raw["items"][0]["text"]["tr"]
    elif change == "range":
        raw["scoring"]["max"] = 60
    elif change == "bands":
        raw["bands"][1]["from"] = 40
    elif change == "option_values":
        raw["items"][2]["options"][1]["value"] = 0
    elif change == "missing":
        raw["missing"]["allowed"] = 10
    elif change == "direction":
        raw["change"]["direction"] = "up"
    elif change == "mcid":
        del raw["change"]["mcid"]["citation"]
    return raw


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_tr", "'items': {0: {'text': {'tr'"),
        ("range", "'scoring': [\"min and max must be the items' range, 0 to 50.\"]"),
        ("bands", "'bands': ['Bands start at the minimum and rise"),
        ("option_values", "'options': ['Option values must be unique.']"),
        ("missing", "'missing': ['Allow fewer missing items than items, and prorate them.']"),
        ("direction", "'direction': ['Must be one of: lower_is_better"),
        ("mcid", "'citation': ['Missing data for required field.']"),
    ],
)
def test_a_bad_measure_file_is_refused_naming_the_file_and_the_field(
    app_ctx: Flask, seed_dir: Path, tmp_path: Path, change: str, message: str
) -> None:
    copy = tmp_path / "seed"
    shutil.copytree(seed_dir, copy)
    raw = yaml.safe_load((copy / "measures/ndi.yaml").read_text("utf-8"))
    (copy / "measures/ndi.yaml").write_text(
        yaml.safe_dump(_broken(raw, change), allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(SeedError) as refused:
        load_measures(copy)
    assert "measures/ndi.yaml" in str(refused.value)
    assert message in str(refused.value)


def test_two_files_with_one_code_and_broken_yaml_are_refused(
    app_ctx: Flask, seed_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "seed"
    shutil.copytree(seed_dir, copy)
    shutil.copy(copy / "measures/ndi.yaml", copy / "measures/ndi-copy.yaml")
    with pytest.raises(SeedError, match=r"ndi\.yaml: code 'NDI' is also .*ndi-copy\.yaml"):
        load_measures(copy)
    (copy / "measures/ndi-copy.yaml").write_text("code: [unclosed", encoding="utf-8")
    with pytest.raises(SeedError, match=r"ndi-copy\.yaml: not valid YAML"):
        load_measures(copy)


# A measure a clinic adds: the neck-pain NRS as a one-item rated scale (MCID 1.3, Cleland 2008).
NEW_MEASURE = textwrap.dedent(
    """\
    code: NPRS
    version: "1"
    name: {en: Numeric Pain Rating Scale, tr: Sayısal Ağrı Derecelendirme Ölçeği}
    description: {en: Neck pain intensity., tr: Boyun ağrısının şiddeti.}
    recall_period: {en: The last 24 hours, tr: Son 24 saat}
    instructions: {en: Rate your usual neck pain., tr: Olağan boyun ağrınızı puanlayın.}
    wording: paraphrase
    licence: {en: Free to use., tr: Ücretsiz kullanılabilir.}
    items:
      - key: usual_pain
        text: {en: Usual neck pain, tr: Olağan boyun ağrısı}
        scale:
          min: 0
          max: 10
          anchors:
            min: {en: No pain, tr: Ağrı yok}
            max: {en: Worst imaginable pain, tr: Hayal edilebilecek en kötü ağrı}
    scoring:
      method: sum
      min: 0
      max: 10
      decimals: 0
      description: {en: The rating itself., tr: Puanın kendisi.}
    missing:
      allowed: 0
      rule: none
      description: {en: It must be answered., tr: Yanıtlanmalıdır.}
    bands: []
    change:
      direction: lower_is_better
      mcid:
        value: 1.3
        citation: Cleland JA, Childs JD, Whitman JM. Arch Phys Med Rehabil 2008;89:69-74.
      mdc: null
    """
)


def test_a_clinic_adds_a_measure_by_dropping_a_file_and_running_flask_seed(
    app: Flask, client, seed_dir: Path, tmp_path: Path, make_patient
) -> None:
    copy = tmp_path / "seed"
    shutil.copytree(seed_dir, copy)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--seed-dir", str(copy)])
    assert first.exit_code == 0, first.output
    assert "measures=4" in first.output
    (copy / "measures/nprs.yaml").write_text(NEW_MEASURE, encoding="utf-8")
    again = runner.invoke(args=["seed", "--seed-dir", str(copy)])
    assert again.exit_code == 0, again.output
    assert "measures=5" in again.output

    patient = make_patient()
    library = client.get("/api/v1/measures", headers=patient.headers).json["items"]
    assert [m["code"] for m in library] == ["GROC", "HIT-6", "NDI", "NPRS", "PSFS"]
    answers = [{"item": "usual_pain", "value": 6}]
    recorded = datetime.now(UTC) - timedelta(days=10)
    for value, when in ((6, recorded), (4, recorded + timedelta(days=9))):
        answers = [{"item": "usual_pain", "value": value}]
        body = {"id": str(uuid.uuid4()), "recorded_at": when.isoformat(), "measure": "NPRS"}
        answer = client.post(
            "/api/v1/me/measure-responses",
            json={**body, "answers": answers},
            headers=patient.headers,
        )
        assert answer.status_code == 201, answer.json
    assert (answer.json["score"], answer.json["change"], answer.json["interpretation"]) == (
        4.0,
        2.0,
        "improved",
    )
