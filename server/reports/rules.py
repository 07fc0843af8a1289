"""What the progress report says, as pure values: its content, its texts in Turkish and English,
the default date range and the figures it sums (no database, no Flask, no PDF)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import fmean

DEFAULT_DAYS = 28
LANGUAGES = ("tr", "en")


@dataclass(frozen=True)
class Change:
    """A revision of the programme that took effect in the range."""

    day: date
    number: int
    kind: str
    reason: str


@dataclass(frozen=True)
class PainDay:
    day: date
    max_pain: int | None
    mean_pain: float | None


@dataclass(frozen=True)
class MeasureLine:
    name: str
    baseline: float | None
    latest: float | None
    latest_on: date | None
    change: float | None
    interpretation: str | None
    mcid: float | None
    responses: int


@dataclass(frozen=True)
class FlagLine:
    type: str
    severity: str
    opened_on: date
    status: str
    action: str | None
    closed_on: date | None


@dataclass(frozen=True)
class Adherence:
    prescribed: int
    completed: int
    partial: int
    skipped: int
    missing: int
    ratio: float | None
    breaks_prescribed: int
    breaks_logged: int


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, already read and authorized."""

    language: str
    clinic_name: str
    patient_name: str
    therapist_name: str | None
    start: date
    end: date
    generated_on: date
    programme_start: date | None
    programme_end: date | None
    exercises: list[str]
    schedule: str
    changes: list[Change]
    adherence: Adherence
    pain: list[PainDay]
    baseline: float | None
    measures: list[MeasureLine] = field(default_factory=list)
    flags: list[FlagLine] = field(default_factory=list)


def default_range(
    today: date, programme_start: date | None, programme_end: date | None
) -> tuple[date, date]:
    """The last 28 days up to today, or to the programme's end when it ended earlier; never
    from before the programme started."""
    end = min(today, programme_end) if programme_end else today
    start = end - timedelta(days=DEFAULT_DAYS - 1)
    if programme_start is not None and start < programme_start <= end:
        start = programme_start
    return start, end


def report_language(requested: str | None, clinic_language: str) -> str:
    """``?lang=`` when given, else the clinic's default language."""
    language = requested or clinic_language
    return language if language in LANGUAGES else "en"


@dataclass(frozen=True)
class PainFigures:
    days_with_data: int
    mean_of_max: float | None
    mean_of_mean: float | None
    highest: int | None
    first_week_max: float | None
    last_week_max: float | None


def _mean(values: Sequence[float]) -> float | None:
    return round(fmean(values), 1) if values else None


def pain_figures(days: Sequence[PainDay]) -> PainFigures:
    """The pain series in a few numbers: means over the days with data, the highest, and the
    mean daily maximum of the range's first and last seven days."""
    maxima = [d.max_pain for d in days if d.max_pain is not None]
    means = [d.mean_pain for d in days if d.mean_pain is not None]
    first = [d.max_pain for d in days[:7] if d.max_pain is not None]
    last = [d.max_pain for d in days[-7:] if d.max_pain is not None]
    return PainFigures(
        len(maxima),
        _mean(maxima),
        _mean(means),
        max(maxima) if maxima else None,
        _mean(first),
        _mean(last),
    )


def percent(ratio: float | None) -> str:
    return "–" if ratio is None else f"{round(ratio * 100)}%"


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Progress report",
        "patient": "Patient",
        "therapist": "Therapist",
        "period": "Period",
        "generated": "Generated",
        "programme": "Home exercise programme",
        "started": "Started {start}",
        "ended": "ended {end}",
        "no_programme": "No programme in this period.",
        "schedule": "Schedule",
        "changes": "Changes to the programme",
        "no_changes": "No changes in this period.",
        "revision": "Revision {number} ({kind}) from {day}: {reason}",
        "adherence": "Adherence",
        "sessions": "Sessions prescribed {prescribed}: completed {completed}, partial {partial}, "
        "skipped {skipped}, not logged {missing}. Adherence {ratio}.",
        "breaks": "Posture breaks logged {logged} of {prescribed} prescribed.",
        "pain": "Pain (0–10 numeric rating scale)",
        "pain_figures": "Days with pain data {days}. Mean daily maximum {mean_max}, mean of "
        "daily means {mean_mean}, highest {highest}. Mean daily maximum in the first week "
        "{first}, in the last week {last}.",
        "baseline": "Baseline {value}",
        "no_baseline": "No baseline yet",
        "daily_max": "Daily maximum",
        "daily_mean": "Daily mean",
        "measures": "Outcome measures",
        "no_measures": "No outcome measures answered.",
        "measure_line": "{name}: baseline {baseline}, latest {latest} ({day}), change {change} "
        "(MCID {mcid}): {verdict}.",
        "measure_single": "{name}: {latest} ({day}), {responses} response(s).",
        "improved": "improved",
        "no_meaningful_change": "no meaningful change",
        "worsened": "worsened",
        "flags": "Clinical flags",
        "no_flags": "No flags raised in this period.",
        "flag_line": "{type} ({severity}) raised {opened}: {status}{action}{closed}.",
        "action": ", action: {action}",
        "closed": ", closed {closed}",
        "red_flag": "Red flag",
        "flare_up": "Flare-up",
        "worsening": "Worsening",
        "high_pain": "High pain",
        "non_adherence": "Low adherence",
        "progression_ready": "Ready to progress",
        "open": "open",
        "acknowledged": "acknowledged",
        "resolved": "resolved",
        "auto_resolved": "resolved automatically",
        "none": "none",
        "contacted": "patient contacted",
        "regressed": "programme regressed",
        "referred": "referred",
        "initial": "initial",
        "progress": "progression",
        "regress": "regression",
        "footer": "{clinic}: generated by HEP Tracker from the patient's own records.",
    },
    "tr": {
        "title": "İlerleme raporu",
        "patient": "Hasta",
        "therapist": "Fizyoterapist",
        "period": "Dönem",
        "generated": "Oluşturulma",
        "programme": "Ev egzersiz programı",
        "started": "Başlangıç {start}",
        "ended": "bitiş {end}",
        "no_programme": "Bu dönemde program yok.",
        "schedule": "Takvim",
        "changes": "Programdaki değişiklikler",
        "no_changes": "Bu dönemde değişiklik yok.",
        "revision": "Sürüm {number} ({kind}), {day} itibarıyla: {reason}",
        "adherence": "Uyum",
        "sessions": "Reçete edilen seans {prescribed}: tamamlanan {completed}, kısmi {partial}, "
        "atlanan {skipped}, kaydedilmeyen {missing}. Uyum {ratio}.",
        "breaks": "Duruş molası: reçete edilen {prescribed}, kaydedilen {logged}.",
        "pain": "Ağrı (0–10 sayısal derecelendirme ölçeği)",
        "pain_figures": "Ağrı verisi olan gün {days}. Günlük en yüksek ağrı ortalaması "
        "{mean_max}, günlük ortalamaların ortalaması {mean_mean}, en yüksek {highest}. İlk "
        "haftada günlük en yüksek ortalaması {first}, son haftada {last}.",
        "baseline": "Başlangıç değeri {value}",
        "no_baseline": "Henüz başlangıç değeri yok",
        "daily_max": "Günlük en yüksek",
        "daily_mean": "Günlük ortalama",
        "measures": "Sonuç ölçümleri",
        "no_measures": "Yanıtlanmış sonuç ölçümü yok.",
        "measure_line": "{name}: başlangıç {baseline}, son {latest} ({day}), değişim {change} "
        "(MCID {mcid}): {verdict}.",
        "measure_single": "{name}: {latest} ({day}), {responses} yanıt.",
        "improved": "iyileşme",
        "no_meaningful_change": "anlamlı değişiklik yok",
        "worsened": "kötüleşme",
        "flags": "Klinik uyarılar",
        "no_flags": "Bu dönemde uyarı oluşmadı.",
        "flag_line": "{type} ({severity}), {opened} tarihinde: {status}{action}{closed}.",
        "action": ", yapılan: {action}",
        "closed": ", kapanış {closed}",
        "red_flag": "Kırmızı bayrak",
        "flare_up": "Alevlenme",
        "worsening": "Kötüleşme",
        "high_pain": "Yüksek ağrı",
        "non_adherence": "Düşük uyum",
        "progression_ready": "İlerlemeye hazır",
        "open": "açık",
        "acknowledged": "görüldü",
        "resolved": "çözüldü",
        "auto_resolved": "kendiliğinden çözüldü",
        "none": "yok",
        "contacted": "hastayla görüşüldü",
        "regressed": "program geriletildi",
        "referred": "sevk edildi",
        "initial": "ilk",
        "progress": "ilerletme",
        "regress": "geriletme",
        "footer": "{clinic}: HEP Tracker tarafından hastanın kendi kayıtlarından oluşturuldu.",
    },
}
SEVERITY_NAMES = {
    "tr": {"urgent": "acil", "high": "yüksek", "normal": "orta", "low": "düşük", "info": "bilgi"},
}


DAY_NAMES = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "tr": ("Pzt", "Sal", "Çar", "Per", "Cum", "Cmt", "Paz"),
}
EVERY_DAY = {"en": "every day", "tr": "her gün"}


def schedule_text(schedule: dict, language: str) -> str:
    """``08:00, 19:00 (Mon, Wed, Fri)`` in ``language``; empty for a schedule without slots."""
    times = ", ".join(s["time"] for s in schedule.get("slots", []))
    days = sorted({d for d in schedule.get("days", []) if 1 <= d <= 7})
    if not times or not days:
        return ""
    names = (
        EVERY_DAY[language]
        if len(days) == 7
        else ", ".join(DAY_NAMES[language][d - 1] for d in days)
    )
    return f"{times} ({names})"


def word(language: str, key: str) -> str:
    """A label in ``language``; an unknown key (a new status or kind) shows as itself."""
    return TEXTS[language].get(key, key)
