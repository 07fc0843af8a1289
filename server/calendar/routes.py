"""HTTP routes of the calendar feed: the patient makes or revokes a private URL; calendar apps
read it with the token in the path (they cannot send a bearer token)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView
from flask_limiter.util import get_remote_address

from server.access import PATIENT, TOKEN_IN_PATH, allow, current_actor
from server.calendar import queries, services
from server.calendar.schemas import CalendarFeedOut
from server.extensions import limiter
from server.routing import LOCATION, Blueprint, created

TOO_MANY = "Too many requests. Wait a little and try again."
blp = Blueprint(
    "calendar",
    __name__,
    url_prefix="/api/v1",
    description="A patient's private calendar feed (iCalendar): sessions, posture breaks and "
    "due questionnaires, for any calendar app",
)
ICALENDAR = "text/calendar; charset=utf-8"
FEED_ENDPOINT = "calendar.CalendarFeedDocument"
FEED_RATE_LIMIT = "60 per minute"  # per client address; a calendar app polls every few hours

_feed_by_address = limiter.limit(
    lambda: current_app.config.get("CALENDAR_FEED_RATE_LIMIT") or FEED_RATE_LIMIT,
    key_func=get_remote_address,
    scope="calendar-feed-address",
    error_message=TOO_MANY,
)


@blp.route("/me/calendar-feed")
class MyCalendarFeed(MethodView):
    @allow(PATIENT)
    @blp.response(201, CalendarFeedOut, headers=LOCATION)
    @blp.doc(operationId="createCalendarFeed")
    def post(self) -> Any:
        """Make a private calendar URL of your schedule; an earlier one stops working.

        Patients only. The answer is the only time the URL is shown: the server keeps a keyed
        digest of its token, never the token. Subscribe to it in a calendar app; anyone with the
        URL sees your schedule (not your records), so revoke it if it leaks.
        """
        token, feed = services.create_feed(actor=current_actor())
        url = url_for(FEED_ENDPOINT, feed_token=token, _external=True)
        return created({"url": url, "created_at": feed.created_at}, url)

    @allow(PATIENT)
    @blp.response(204)
    @blp.doc(operationId="revokeCalendarFeed")
    def delete(self) -> None:
        """Revoke your calendar URL: it answers 404 from now on.

        Patients only. 204 also when no URL was live.
        """
        services.revoke_feed(actor=current_actor())


@blp.route("/calendar-feeds/<feed_token>.ics")
class CalendarFeedDocument(MethodView):
    @allow(TOKEN_IN_PATH)
    @_feed_by_address
    @blp.doc(
        operationId="readCalendarFeed",
        responses={
            "200": {
                "description": "The feed as iCalendar (RFC 5545).",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            },
            "404": {"description": "Unknown or revoked feed."},
            "429": {"description": "Too many requests; see Retry-After."},
        },
    )
    def get(self, feed_token: str) -> Response:
        """A patient's schedule as iCalendar, for calendar apps.

        No bearer token: the token in the path is the credential, made by `createCalendarFeed`,
        and it shows only its own patient's schedule. Sessions recur weekly at their wall time
        in the patient's time zone (`TZID`, `RRULE`, with the `VTIMEZONE`), one event per slot
        and revision; the posture-break window spans the working hours; due outcome
        questionnaires are all-day events. Texts in the patient's language. Audited for the
        patient. Unknown or revoked: 404.
        """
        document = queries.feed_document(token=feed_token)
        return Response(document, status=200, content_type=ICALENDAR)
