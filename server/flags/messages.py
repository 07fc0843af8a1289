"""Suggested actions: chosen per flag type and evidence, rendered in the therapist's language."""

from __future__ import annotations

from collections.abc import Iterable

SUGGESTED_ACTIONS: dict[str, dict[str, str]] = {
    "refer_emergency": {
        "en": "Contact the patient now and refer to emergency care (112 / emergency department); "
        "stop the exercises until a physician has assessed the red flag.",
        "tr": "Hastayla hemen iletişime geçin ve acil değerlendirmeye yönlendirin (112 / acil "
        "servis); kırmızı bayrak bir hekim tarafından değerlendirilene kadar egzersizleri "
        "durdurun.",
    },
    "hold_progression": {
        "en": "Expected early flare: hold progression at the current level, reassure the patient "
        "and review in 72 hours.",
        "tr": "Beklenen erken alevlenme: ilerlemeyi mevcut seviyede tutun, hastayı "
        "bilgilendirip rahatlatın ve 72 saat içinde yeniden değerlendirin.",
    },
    "regress_one_level": {
        "en": "Regress the aggravating exercises one level and review the programme.",
        "tr": "Şikâyeti artıran egzersizleri bir seviye geriletin ve programı gözden geçirin.",
    },
    "contact_patient": {
        "en": "Contact the patient to review their symptoms and the programme.",
        "tr": "Belirtileri ve programı gözden geçirmek için hastayla iletişime geçin.",
    },
    "review_outcome": {
        "en": "The outcome measures show no meaningful improvement: review the diagnosis, the "
        "goals and the programme with the patient.",
        "tr": "Sonuç ölçümleri anlamlı bir iyileşme göstermiyor: tanıyı, hedefleri ve programı "
        "hastayla birlikte gözden geçirin.",
    },
    "consider_progression": {
        "en": "Ready to progress: consider moving the exercises up one level.",
        "tr": "İlerlemeye hazır: egzersizleri bir seviye artırmayı değerlendirin.",
    },
}

# Session-related flare evidence (Silbernagel: pain during/after exercise, not settled by the
# next morning) points at the exercise load, so the suggestion is to regress it.
_LOAD_RULES = {"flare_up.session_pain", "flare_up.next_morning"}


def suggested_action(flag_type: str, rules: Iterable[str], expected: bool) -> str:
    """The suggested action code for a flag of ``flag_type`` with evidence from ``rules``."""
    if flag_type == "red_flag":
        return "refer_emergency"
    if flag_type == "worsening":
        return "regress_one_level"
    if flag_type == "not_improving":
        return "review_outcome"
    if flag_type == "progression_ready":
        return "consider_progression"
    if flag_type == "flare_up":
        if expected:
            return "hold_progression"
        return "regress_one_level" if _LOAD_RULES & set(rules) else "contact_patient"
    return "contact_patient"


def suggested_action_text(code: str, language: str) -> str:
    """The suggestion in ``language`` (``tr`` or ``en``; English when unknown)."""
    texts = SUGGESTED_ACTIONS.get(code, SUGGESTED_ACTIONS["contact_patient"])
    return texts.get(language) or texts["en"]
