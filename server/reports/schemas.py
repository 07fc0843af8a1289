"""The progress report's query: the date range and the language."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from server.reports.rules import LANGUAGES
from server.validation import SaneDate, Text


class ReportArgs(ma.Schema):
    """``from``/``to`` as patient-local dates (default: the last 28 days, within the programme);
    ``lang`` overrides the clinic's default language."""

    start = SaneDate(data_key="from", load_default=None)
    end = SaneDate(data_key="to", load_default=None)
    language = Text(data_key="lang", validate=validate.OneOf(LANGUAGES))  # absent: the clinic's
