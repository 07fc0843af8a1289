"""Patient and therapist message texts in Turkish and English; no names, no clinical details."""

from __future__ import annotations

import functools

SLOT_NAMES = {
    "tr": {
        "morning": "sabah",
        "midday": "öğle",
        "noon": "öğle",
        "afternoon": "öğleden sonra",
        "evening": "akşam",
        "night": "gece",
    },
    "en": {},
}

TEXTS = {
    "en": {
        "session_title": "Exercise time",
        "session_body": "Time for your {slot} exercises.",
        "session_body_plain": "Time for your exercises.",
        "posture_title": "Posture break",
        "posture_body": "Stand up, roll your shoulders back and tuck your chin for a few breaths.",
        "measure_title": "A short questionnaire",
        "measure_body": "Your physiotherapist asks how you are doing: a short questionnaire is "
        "waiting in the app.",
        "urgent_title": "Urgent flag",
        "urgent_body": "A patient reported a danger sign. Please review now.",
        "digest_title": "Open flags",
        "digest_body": "You have {total} open flags to review ({urgent} urgent, {high} high).",
        "consent_title": "Consent withdrawn",
        "consent_body": "A patient withdrew their consent to processing: no reminders or new "
        "records from now on. Please review.",
        "password_title": "Your password was changed",
        "password_body": "Your password was set with a code from your clinic. If this was not "
        "you, call your clinic.",
    },
    "tr": {
        "session_title": "Egzersiz zamanı",
        "session_body": "{slot} egzersizlerinizin zamanı geldi.",
        "session_body_plain": "Egzersizlerinizin zamanı geldi.",
        "posture_title": "Duruş molası",
        "posture_body": "Ayağa kalkın, omuzlarınızı geriye çevirin ve çenenizi birkaç nefes "
        "boyunca geriye çekin.",
        "measure_title": "Kısa bir anket",
        "measure_body": "Fizyoterapistiniz nasıl olduğunuzu soruyor: uygulamada sizi kısa bir "
        "anket bekliyor.",
        "urgent_title": "Acil uyarı",
        "urgent_body": "Bir hasta tehlike belirtisi bildirdi. Lütfen hemen inceleyin.",
        "digest_title": "Açık uyarılar",
        "digest_body": "İncelemeniz gereken {total} açık uyarı var ({urgent} acil, {high} yüksek).",
        "consent_title": "Rıza geri alındı",
        "consent_body": "Bir hasta verilerinin işlenmesine verdiği rızayı geri aldı: bundan "
        "sonra hatırlatma ve yeni kayıt yok. Lütfen inceleyin.",
        "password_title": "Şifreniz değiştirildi",
        "password_body": "Şifreniz kliniğinizin verdiği bir kodla yeniden belirlendi. Bunu siz "
        "yapmadıysanız kliniğinizi arayın.",
    },
}


def _texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])


@functools.lru_cache(maxsize=1024)
def reminder_text(kind: str, language: str, slot: str | None = None) -> tuple[str, str]:
    """(title, body) of a patient reminder in ``language`` (``tr`` or ``en``); rendered once
    per (kind, language, slot), as a tick writes thousands of the same few."""
    texts = _texts(language)
    if kind == "posture_break":
        return texts["posture_title"], texts["posture_body"]
    if kind == "measure":
        return texts["measure_title"], texts["measure_body"]
    if not slot:
        return texts["session_title"], texts["session_body_plain"]
    local_slot = SLOT_NAMES.get(language, {}).get(slot, slot)
    body = texts["session_body"].format(slot=local_slot)
    return texts["session_title"], body[0].upper() + body[1:]


def urgent_flag_text(language: str) -> tuple[str, str]:
    """(title, body) of the immediate therapist alert for an urgent flag."""
    texts = _texts(language)
    return texts["urgent_title"], texts["urgent_body"]


def digest_text(language: str, *, total: int, urgent: int, high: int) -> tuple[str, str]:
    """(title, body) of a therapist's daily digest of open flags."""
    texts = _texts(language)
    return texts["digest_title"], texts["digest_body"].format(total=total, urgent=urgent, high=high)


def password_reset_text(language: str) -> tuple[str, str]:
    """(title, body) of the notice to a patient whose password a clinic-issued code set again."""
    texts = _texts(language)
    return texts["password_title"], texts["password_body"]


def consent_withdrawn_text(language: str) -> tuple[str, str]:
    """(title, body) of the therapist's alert that a patient withdrew consent (no names)."""
    texts = _texts(language)
    return texts["consent_title"], texts["consent_body"]
