"""What the calendar-feed endpoints answer."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from server.serialization import Instant


class CalendarFeedOut(ma.Schema):
    """A new private feed: its URL is shown only in this answer (keep it like a password)."""

    url = fields.String(
        required=True,
        metadata={"description": "The feed's address; subscribe to it in a calendar app."},
    )
    created_at = Instant(required=True)
