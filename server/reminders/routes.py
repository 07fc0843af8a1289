"""HTTP routes of the reminders domain: the patient's inbox, snooze and push devices."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_jwt_extended import get_jwt

from server.access import PATIENT, allow, current_actor
from server.reminders import schemas, services
from server.routing import Blueprint

blp = Blueprint(
    "reminders", __name__, url_prefix="/api/v1", description="Reminder inbox and push devices"
)


@blp.route("/me/notifications")
class MyNotifications(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.NotificationsArgs(), location="query")
    @blp.response(200, schemas.NotificationPageOut)
    @blp.doc(operationId="listMyNotifications")
    def get(self, args: dict[str, Any]):
        """My in-app inbox of reminders, newest first (``since`` limits it to later occurrences).

        Patients only: reminders and messages, newest first.
        """
        items, next_cursor = services.list_notifications(current_actor(), **args)
        return {"items": items, "next_cursor": next_cursor}


@blp.route("/me/notifications/<uuid:notification_id>/snooze")
class SnoozeNotification(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.SnoozeIn())
    @blp.response(200, schemas.NotificationOut)
    @blp.doc(operationId="snoozeNotification")
    def post(self, body: dict[str, Any], notification_id: uuid.UUID):
        """Snooze one reminder for 10, 20 or 30 minutes; the same occurrence fires again.

        Moves this one occurrence 10, 20 or 30 minutes later; the next occurrences keep their time.
        """
        return services.snooze_notification(
            current_actor(), notification_id, minutes=body["minutes"]
        )


@blp.route("/me/notifications/<uuid:notification_id>/read")
class ReadNotification(MethodView):
    @allow(PATIENT)
    @blp.response(200, schemas.NotificationOut)
    @blp.doc(operationId="markNotificationRead")
    def post(self, notification_id: uuid.UUID):
        """Mark one inbox entry as read.

        Idempotent: reading it again changes nothing.
        """
        return services.mark_notification_read(current_actor(), notification_id)


@blp.route("/me/devices")
class MyDevices(MethodView):
    @allow(PATIENT)
    @blp.arguments(schemas.DeviceIn())
    @blp.response(201, schemas.DeviceOut)
    @blp.alt_response(200, schema=schemas.DeviceOut, description="The token was already mine.")
    @blp.alt_response(409, description="Another account is still signed in on this device.")
    @blp.doc(operationId="registerDevice")
    def post(self, body: dict[str, Any]):
        """Register a push token (idempotent by token): 201 when new to me, 200 when known.

        Idempotent by token: 201 when new, 200 when already registered to you. A token another
        account registered moves to you only once that account's session on the device has ended
        (else 409).
        """
        session_id = uuid.UUID(get_jwt()["fam"])
        device, created = services.register_device(current_actor(), session_id=session_id, **body)
        return device, 201 if created else 200


@blp.route("/me/devices/<uuid:device_id>")
class MyDevice(MethodView):
    @allow(PATIENT)
    @blp.response(204)
    @blp.doc(operationId="removeDevice")
    def delete(self, device_id: uuid.UUID):
        """Remove one of my push devices.

        The device stops getting pushes at once.
        """
        services.remove_device(current_actor(), device_id)
