"""Outcome measures in the library: a measure's definition as ``seed/measures/*.yaml`` holds it
(``MeasureIn``, validated at load) and as ``listMeasures`` shows it (``MeasureOut``, which dumps
a loaded definition unchanged)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from server.measures import rules
from server.measures.rules import DIRECTIONS, MEAN, PRORATE, SUM
from server.pagination import page_of
from server.programmes.library_schemas import LocalizedTextIn
from server.validation import StrictBoolean, Text

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,19}$"
CODE = validate.Regexp(CODE_PATTERN, error="Use capital letters, digits and '-' (e.g. HIT-6).")
KEY = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="Use lowercase letters, digits, '_'.")


def texts(**kwargs: Any) -> fields.Dict:
    """Text in every supported language, as output: ``{"en": …, "tr": …}``."""
    return fields.Dict(keys=fields.String(), values=fields.String(), **kwargs)


def _localized(**kwargs: Any) -> fields.Nested:
    return fields.Nested(LocalizedTextIn, required=True, **kwargs)


class AnswerOptionIn(ma.Schema):
    value = fields.Integer(required=True, validate=validate.Range(-100, 100))
    score = fields.Float(required=True, validate=validate.Range(-1000, 1000))
    label = _localized()


class RatingAnchorsIn(ma.Schema):
    min = _localized()
    max = _localized()


class RatingScaleIn(ma.Schema):
    min = fields.Integer(required=True, validate=validate.Range(-100, 100))
    max = fields.Integer(required=True, validate=validate.Range(-100, 100))
    anchors = fields.Nested(RatingAnchorsIn, required=True)


class MeasureItemIn(ma.Schema):
    """A question: answered by choosing an option, or by a rating on a scale."""

    key = Text(required=True, validate=KEY)
    text = _localized()
    options = fields.List(fields.Nested(AnswerOptionIn), load_default=list)
    scale = fields.Nested(RatingScaleIn, load_default=None, allow_none=True)
    patient_named = StrictBoolean(load_default=False)

    @ma.validates_schema
    def _one_way_to_answer(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("options")) == bool(data.get("scale")):
            raise ma.ValidationError("Give options or a scale, not both.", "_schema")
        values = [option["value"] for option in data.get("options", [])]
        if len(set(values)) != len(values):
            raise ma.ValidationError(["Option values must be unique."], "options")
        if data.get("scale") and data["scale"]["min"] >= data["scale"]["max"]:
            raise ma.ValidationError(["min must be below max."], "scale")
        if data.get("patient_named") and not data.get("scale"):
            raise ma.ValidationError(["An item the patient names is rated on a scale."], "scale")


class ScoringIn(ma.Schema):
    method = Text(required=True, validate=validate.OneOf((SUM, MEAN)))
    min = fields.Float(required=True)
    max = fields.Float(required=True)
    decimals = fields.Integer(load_default=1, validate=validate.Range(0, 2))
    percent = StrictBoolean(load_default=False)
    min_answered = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1))
    description = _localized()


class MissingItemRuleIn(ma.Schema):
    allowed = fields.Integer(required=True, validate=validate.Range(0, 10))
    rule = Text(required=True, validate=validate.OneOf((PRORATE, rules.NONE)))
    description = _localized()


class ScoreBandIn(ma.Schema):
    code = Text(required=True, validate=KEY)
    start = fields.Float(required=True, data_key="from")
    label = _localized()


class ReferenceValueIn(ma.Schema):
    value = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    citation = Text(required=True, validate=validate.Length(min=10, max=500))


class MeasureChangeIn(ma.Schema):
    direction = Text(required=True, validate=validate.OneOf(DIRECTIONS))
    mcid = fields.Nested(ReferenceValueIn, required=True)
    mdc = fields.Nested(ReferenceValueIn, required=True, allow_none=True)


class MeasureIn(ma.Schema):
    """A measure's definition, as ``seed/measures/*.yaml`` holds it."""

    code = Text(required=True, validate=CODE)
    version = Text(required=True, validate=validate.Length(min=1, max=20))
    name = _localized()
    description = _localized()
    recall_period = _localized()
    instructions = _localized()
    wording = Text(required=True, validate=validate.OneOf(("paraphrase", "validated")))
    licence = _localized()
    items = fields.List(
        fields.Nested(MeasureItemIn), required=True, validate=validate.Length(1, 50)
    )
    scoring = fields.Nested(ScoringIn, required=True)
    missing = fields.Nested(MissingItemRuleIn, required=True)
    bands = fields.List(fields.Nested(ScoreBandIn), required=True)
    change = fields.Nested(MeasureChangeIn, required=True)

    @ma.validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        if {"items", "scoring", "missing", "bands"} - data.keys():
            return  # reported field by field already
        problems = definition_problems(data)
        if problems:
            raise ma.ValidationError(problems)


def definition_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """What makes a schema-valid definition inconsistent: its declared range, bands and
    missing-item rule checked against its items."""
    items, scoring, missing = data["items"], data["scoring"], data["missing"]
    fixed = [item for item in items if not item["patient_named"]]
    problems: dict[str, list[str]] = {}
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        problems["items"] = ["Item keys must be unique."]
    bounds = [rules.item_bounds(item) for item in items]
    if scoring["method"] == SUM:
        low, high = sum(b[0] for b in bounds), sum(b[1] for b in bounds)
        if len(fixed) != len(items):
            problems.setdefault("items", []).append("A sum has no items the patient names.")
    else:
        low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)
    if (Decimal(str(scoring["min"])), Decimal(str(scoring["max"]))) != (low, high):
        span = f"{low.normalize():f} to {high.normalize():f}"
        problems["scoring"] = [f"min and max must be the items' range, {span}."]
    if missing["allowed"] and not (missing["allowed"] < len(fixed) and missing["rule"] == PRORATE):
        problems["missing"] = ["Allow fewer missing items than items, and prorate them."]
    if missing["rule"] == PRORATE and any(rules.item_bounds(i)[0] != 0 for i in fixed):
        problems.setdefault("missing", []).append("Prorate only items scored from 0.")
    starts = [band["start"] for band in data["bands"]]
    codes = [band["code"] for band in data["bands"]]
    if data["bands"] and (
        starts != sorted(set(starts)) or starts[0] != scoring["min"] or starts[-1] > scoring["max"]
    ):
        problems["bands"] = ["Bands start at the minimum and rise, each from a higher score."]
    if len(set(codes)) != len(codes):
        problems.setdefault("bands", []).append("Band codes must be unique.")
    return problems


class AnswerOptionOut(ma.Schema):
    value = fields.Integer()
    score = fields.Float()
    label = texts()


class RatingAnchorsOut(ma.Schema):
    min = texts()
    max = texts()


class RatingScaleOut(ma.Schema):
    min = fields.Integer()
    max = fields.Integer()
    anchors = fields.Nested(RatingAnchorsOut)


class MeasureItemOut(ma.Schema):
    key = fields.String()
    text = texts()
    options = fields.List(fields.Nested(AnswerOptionOut), metadata={"description": "[] if rated"})
    scale = fields.Nested(RatingScaleOut, allow_none=True, metadata={"description": "If rated."})
    patient_named = fields.Boolean(metadata={"description": "The patient names what is rated."})


class ScoringOut(ma.Schema):
    method = fields.String(validate=validate.OneOf((SUM, MEAN)))
    min = fields.Float()
    max = fields.Float()
    decimals = fields.Integer()
    percent = fields.Boolean(metadata={"description": "Also reported as % of the range."})
    min_answered = fields.Integer(allow_none=True)
    description = texts()


class MissingItemRuleOut(ma.Schema):
    allowed = fields.Integer()
    rule = fields.String(validate=validate.OneOf((PRORATE, rules.NONE)))
    description = texts()


class ScoreBandOut(ma.Schema):
    code = fields.String()
    start = fields.Float(data_key="from")
    label = texts()


class ReferenceValueOut(ma.Schema):
    value = fields.Float()
    citation = fields.String()


class MeasureChangeOut(ma.Schema):
    direction = fields.String(
        validate=validate.OneOf(DIRECTIONS), metadata={"enum_name": "MeasureDirection"}
    )
    mcid = fields.Nested(ReferenceValueOut)
    mdc = fields.Nested(ReferenceValueOut, allow_none=True)


class MeasureOut(ma.Schema):
    code = fields.String()
    version = fields.String()
    name = texts()
    description = texts()
    recall_period = texts()
    instructions = texts()
    wording = fields.String(validate=validate.OneOf(("paraphrase", "validated")))
    licence = texts()
    items = fields.List(fields.Nested(MeasureItemOut))
    scoring = fields.Nested(ScoringOut)
    missing = fields.Nested(MissingItemRuleOut)
    bands = fields.List(fields.Nested(ScoreBandOut))
    change = fields.Nested(MeasureChangeOut)


MeasurePage = page_of(MeasureOut, "MeasurePage")
