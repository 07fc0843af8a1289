"""Consent to the processing of health data: the text in force (public, the app shows it before
activation), and the patient's own decisions: list, give, withdraw."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from server.access import PATIENT, PUBLIC, allow, current_actor
from server.accounts import consents, queries
from server.accounts.models import LANGUAGES
from server.accounts.routes.blueprint import blp
from server.accounts.schemas.consents import (
    ConsentHistoryOut,
    ConsentIn,
    ConsentStatusOut,
    ConsentTextArgs,
    ConsentTextOut,
)
from server.clock import utcnow
from server.errors import NotFound

NO_TEXT = "No consent text has been published yet."


def _status_of(patient: Any) -> dict[str, Any]:
    latest = queries.latest_consent(patient.id)
    return queries.consent_status(patient, latest, utcnow().date())


@blp.route("/consents/current")
class CurrentConsentText(MethodView):
    @allow(PUBLIC)
    @blp.arguments(ConsentTextArgs, location="query")
    @blp.response(200, ConsentTextOut)
    @blp.alt_response(404, description="No consent text is published yet.")
    @blp.doc(operationId="getCurrentConsentText")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The consent text in force, which the app shows before activation.

        Public: it holds no one's data. `lang` (or Accept-Language) picks one language; without
        either, both come. Send its `version` as `consent_version` when activating.
        """
        text = queries.current_consent_text(utcnow().date())
        if text is None:
            raise NotFound(NO_TEXT)
        language = args["lang"] or request.accept_languages.best_match(LANGUAGES)
        shown = {language: text.text[language]} if language else text.text
        return {"version": text.version, "published": text.published, "text": shown}


@blp.route("/me/consents")
class MyConsents(MethodView):
    @allow(PATIENT)
    @blp.response(200, ConsentHistoryOut)
    @blp.doc(operationId="listMyConsents")
    def get(self) -> dict[str, Any]:
        """The patient's consent decisions, oldest first, and whether to ask again.

        Patients only. Each decision names the text version, its language, when it was given and
        when withdrawn. `consent_required` is true when the version in force is not the one the
        patient consented to, or consent was withdrawn.
        """
        return queries.my_consents(actor=current_actor(), today=utcnow().date())


@blp.route("/me/consents")
class GiveConsent(MethodView):
    @allow(PATIENT)
    @blp.arguments(ConsentIn)
    @blp.response(201, ConsentStatusOut)
    @blp.alt_response(409, description="`consent-not-current`: another version is in force.")
    @blp.doc(operationId="giveMyConsent")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Consent to the text in force (after a new version, or to restart after withdrawing).

        Patients only. `version` is the one the app showed: another in force answers 409
        `consent-not-current` with `current_version`. Consenting after a withdrawal restarts
        reminders and the storing of records.
        """
        patient = consents.give_consent(actor=current_actor(), **body)
        return _status_of(patient)


@blp.route("/me/consents/withdraw")
class WithdrawConsent(MethodView):
    @allow(PATIENT)
    @blp.response(200, ConsentStatusOut)
    @blp.alt_response(409, description="No consent is in force to withdraw.")
    @blp.doc(operationId="withdrawMyConsent")
    def post(self) -> dict[str, Any]:
        """Withdraw consent to processing: reminders stop, new records are refused.

        Patients only. From now on no reminder is planned or sent, new records and questionnaire
        responses are refused (409 `consent-withdrawn`), the flag engine no longer evaluates the
        patient, and their therapist is told. What was stored before is kept. Consent again with
        POST /me/consents.
        """
        patient = consents.withdraw_consent(actor=current_actor())
        return _status_of(patient)
