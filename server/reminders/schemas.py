"""Reminder inputs (inbox query, snooze, device) and outputs (inbox entries, devices)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from server.accounts.models import LANGUAGES
from server.pagination import PageArgs, page_of
from server.reminders.models import NOTIFICATION_STATUSES, PLATFORMS
from server.reminders.rules import SNOOZE_MINUTES
from server.serialization import Instant
from server.validation import SaneInstant, Text


class NotificationsArgs(PageArgs):
    """``?since=`` (an instant with an offset) plus ``limit`` and ``cursor``."""

    since = SaneInstant(load_default=None)


class SnoozeIn(ma.Schema):
    EXAMPLE = {"minutes": 10}

    minutes = fields.Integer(strict=True, required=True, validate=validate.OneOf(SNOOZE_MINUTES))


class DeviceIn(ma.Schema):
    EXAMPLE = {"platform": "android", "token": "fcm-registration-token"}

    platform = Text(required=True, validate=validate.OneOf(PLATFORMS))
    token = Text(required=True, validate=validate.Length(min=1, max=1024))


class NotificationOut(ma.Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(NOTIFICATION_STATUSES))
    occurrence_at = Instant(required=True)
    local_date = fields.Date(required=True)
    slot = fields.String(allow_none=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    title = fields.String(required=True)
    message = fields.String(required=True)
    read = fields.Function(lambda n: n.read_at is not None, metadata={"type": "boolean"})
    read_at = Instant(allow_none=True)
    snoozed_until = Instant(allow_none=True)
    sent_at = Instant(allow_none=True)


NotificationPageOut = page_of(NotificationOut, "NotificationPage")


class DeviceOut(ma.Schema):
    """A registered device; the token is never echoed back."""

    id = fields.UUID(required=True)
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    created_at = Instant(required=True)
    last_seen_at = Instant(required=True)
