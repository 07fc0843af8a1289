"""Bring stored flags in line with what the rules derived for a window. Flush, never commit.

A raised flag is never deleted. When later data changes the picture, an active flag is
auto-resolved with a reason (``superseded`` when the data no longer supports it at all), and an
evidence entry the data no longer supports is kept and marked ``withdrawn``. One active flag per
patient and type: new evidence goes onto it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from server.audit import services as audit
from server.extensions import db
from server.flags.episodes import PROGRAMME_ENDED, Episode, Findings
from server.flags.messages import suggested_action
from server.flags.models import SEVERITY_OF, SEVERITY_RANK, Flag
from server.flags.rules import Context, Evidence

SUPERSEDED = "superseded"
# Flags about following a programme: they end with it, unlike those about the patient's pain.
PROGRAMME_BOUND = ("non_adherence", "progression_ready", "not_improving")
SELF_ENDING = ("flare_up", "non_adherence", "progression_ready")
# Episodes of outcome-measure responses (flags/outcomes.py): they end by themselves too, but
# are derived from every response, so a running one never widens the day window.
OUTCOME_ENDING = ("outcome_worsened", "not_improving")
THERAPIST_ENDING = ("worsening", "high_pain")
# Rolling rules: firing again the next day continues the same run, already reviewed if the
# therapist resolved its flag, so it does not raise a fresh flag.
CONTINUING_RULES = {"worsening.mean_7d", "worsening.headache_days", "worsening.morning_rising"}


def entry_day(entry: dict[str, Any]) -> date:
    return date.fromisoformat(entry["day"])


def audit_flag(flag: Flag, action: str, now: datetime, actor: audit.Acting | None = None) -> None:
    """One audit event about ``flag``, by ``actor`` or else by the flag engine (the system)."""
    actor = actor or audit.SystemActor(flag.clinic_id)
    audit.record(action, actor=actor, patient_id=flag.patient_id, target=("flag", flag.id), now=now)


def new_flag(
    *,
    patient_id: uuid.UUID,
    clinic_id: uuid.UUID,
    flag_type: str,
    start: date,
    now: datetime,
    status: str = "open",
) -> Flag:
    """A new flag of ``flag_type``, added and flushed (so it has an id), audited."""
    flag = Flag(
        clinic_id=clinic_id,
        patient_id=patient_id,
        type=flag_type,
        severity=SEVERITY_OF[flag_type],
        severity_rank=SEVERITY_RANK[SEVERITY_OF[flag_type]],
        status=status,
        opened_at=now,
        updated_at=now,
        episode_start=start,
        last_evidence_on=start,
        evidence=[],
        suggested_action=suggested_action(flag_type, (), False),
    )
    db.session.add(flag)
    db.session.flush()
    audit_flag(flag, "flag.opened", now)
    return flag


@dataclass
class Reconciler:
    """Applies one evaluation's findings for ``[first, ctx.today]`` to the patient's flags."""

    patient_id: uuid.UUID
    clinic_id: uuid.UUID
    ctx: Context
    first: date
    now: datetime
    flags: list[Flag]
    touched: set[uuid.UUID] = field(default_factory=set)
    opened: set[uuid.UUID] = field(default_factory=set)

    def apply(self, findings: Findings) -> None:
        for flag_type in (*SELF_ENDING, *OUTCOME_ENDING):
            episodes = [e for e in findings.episodes if e.type == flag_type]
            self.episodes(flag_type, episodes)
        for flag_type in THERAPIST_ENDING:
            self.triggers(flag_type, findings.triggers.get(flag_type, []))
        for flag in self.flags:
            if flag.id in self.touched and flag.id not in self.opened:
                flag.updated_at = self.now
                audit_flag(flag, "flag.updated", self.now)
        db.session.flush()

    # --- self-ending types: one flag per episode ------------------------------------------
    def episodes(self, flag_type: str, episodes: list[Episode]) -> None:
        stored = [
            f
            for f in self.flags
            if f.type == flag_type
            and f.auto_resolution_reason != SUPERSEDED
            and (f.episode_end is None or f.episode_end >= self.first)
        ]
        free = list(stored)
        pairs: list[tuple[Episode, Flag | None]] = []
        for episode in episodes:
            match = next((f for f in free if f.episode_start == episode.start), None)
            if match is not None:
                free.remove(match)
            pairs.append((episode, match))
        # An ongoing episode without its own flag continues the active one (which began before
        # the window, or whose start later data moved).
        for i, (episode, match) in enumerate(pairs):
            if match is not None or episode.end is not None:
                continue
            adopt = next(
                (f for f in free if f.is_active and not self.owed_to_an_earlier_programme(f)),
                None,
            )
            if adopt is not None:
                free.remove(adopt)
                pairs[i] = (episode, adopt)
        for flag in free:
            self.merge(flag, {}, {})
            if flag.is_active and self.owed_to_an_earlier_programme(flag):
                start = self.ctx.programme_start
                self.auto_resolve(flag, PROGRAMME_ENDED, start - timedelta(days=1))
            elif flag.is_active:
                self.auto_resolve(flag, SUPERSEDED, None)
            elif flag.status == "auto_resolved" and flag.episode_start >= self.first:
                self.set_reason(flag, SUPERSEDED)
        for episode, flag in pairs:
            if flag is not None and episode.end is not None and flag.is_active:
                self.auto_resolve(flag, episode.end_reason or "", episode.end)
        db.session.flush()
        for episode, flag in pairs:
            self.sync_episode(flag_type, episode, flag)

    def owed_to_an_earlier_programme(self, flag: Flag) -> bool:
        """An adherence or progression flag from before the programme in force began: the
        programme it judged has ended (a newer one replaced it)."""
        start = self.ctx.programme_start
        return flag.type in PROGRAMME_BOUND and start is not None and flag.episode_start < start

    def sync_episode(self, flag_type: str, episode: Episode, flag: Flag | None) -> None:
        if flag is None:
            # An episode that already ended (late data) is stored resolved straight away, so it
            # never collides with the type's one active flag.
            flag = self.open(flag_type, episode.start, ended=episode.end is not None)
            if episode.end is not None:
                self.auto_resolve(flag, episode.end_reason or "", episode.end)
        elif episode.end is None and flag.status == "auto_resolved":
            self.reopen(flag)
        elif flag.status == "auto_resolved" and flag.auto_resolution_reason != episode.end_reason:
            self.set_reason(flag, episode.end_reason or "")
        if flag.episode_start >= self.first:
            flag.episode_start = episode.start
        flag.episode_end = episode.end
        flag.expected = episode.expected
        derived = {e.key: e.as_dict(self.ctx) for e in episode.evidence}
        self.merge(flag, derived, derived)

    # --- therapist-ending types: evidence onto the active flag ------------------------------
    def triggers(self, flag_type: str, triggers: list[Evidence]) -> None:
        stored = [
            f for f in self.flags if f.type == flag_type and f.auto_resolution_reason != SUPERSEDED
        ]
        derived = {e.key: e.as_dict(self.ctx) for e in triggers}
        owner: dict[str, Flag] = {}
        for flag in stored:
            self.merge(flag, {k: v for k, v in derived.items() if self.holds(flag, k)}, derived)
            owner.update({entry["key"]: flag for entry in flag.evidence})
            if flag.is_active and all(e.get("withdrawn") for e in flag.evidence):
                self.auto_resolve(flag, SUPERSEDED, None)
        db.session.flush()
        for evidence in sorted(triggers, key=lambda e: (e.day, e.key)):
            if evidence.key in owner:
                continue
            target = next((f for f in stored if f.is_active), None)
            if target is None and evidence.rule in CONTINUING_RULES:
                target = self.reviewed_run(owner, evidence)
            if target is None:
                target = self.open(flag_type, evidence.day)
                stored.append(target)
            self.merge(target, {evidence.key: derived[evidence.key]}, derived)
            owner[evidence.key] = target
        for flag in stored:
            live = [entry_day(e) for e in flag.evidence if not e.get("withdrawn")]
            if live and flag.is_active:
                flag.episode_start = min(live)

    @staticmethod
    def reviewed_run(owner: dict[str, Flag], evidence: Evidence) -> Flag | None:
        """The therapist-resolved flag whose run of this rule the evidence continues, if any."""
        before = f"{evidence.rule}:{(evidence.day - timedelta(days=1)).isoformat()}"
        flag = owner.get(before)
        if flag is None or flag.status != "resolved":
            return None
        live = any(e["key"] == before and not e.get("withdrawn") for e in flag.evidence)
        return flag if live else None

    @staticmethod
    def holds(flag: Flag, key: str) -> bool:
        return any(entry["key"] == key for entry in flag.evidence)

    # --- evidence and transitions --------------------------------------------------------
    def merge(self, flag: Flag, mine: dict[str, dict], derived: dict[str, dict]) -> None:
        """Refresh ``flag``'s entries from ``derived``, add ``mine``, withdraw stale ones."""
        entries, seen = [], set()
        for entry in flag.evidence:
            key, day = entry["key"], entry_day(entry)
            seen.add(key)
            if key in derived:
                entries.append(derived[key])
            elif self.first <= day <= self.ctx.today and not entry.get("withdrawn"):
                entries.append({**entry, "withdrawn": True})
            else:
                entries.append(entry)
        entries += [entry for key, entry in mine.items() if key not in seen]
        entries.sort(key=lambda e: (e["day"], e["key"]))
        if entries != flag.evidence:
            flag.evidence = entries
            self.touched.add(flag.id)
        days = [entry_day(e) for e in entries] + [flag.episode_end or flag.episode_start]
        flag.last_evidence_on = max(days)
        live_rules = {e["rule"] for e in entries if not e.get("withdrawn")}
        flag.suggested_action = suggested_action(flag.type, live_rules, flag.expected)

    def open(self, flag_type: str, start: date, *, ended: bool = False) -> Flag:
        flag = new_flag(
            patient_id=self.patient_id,
            clinic_id=self.clinic_id,
            flag_type=flag_type,
            start=start,
            now=self.now,
            status="auto_resolved" if ended else "open",
        )
        self.flags.append(flag)
        self.opened.add(flag.id)
        return flag

    def auto_resolve(self, flag: Flag, reason: str, day: date | None) -> None:
        flag.status = "auto_resolved"
        flag.auto_resolution_reason = reason
        flag.resolved_at = self.now
        if day is not None:
            flag.episode_end = day
        self.touched.add(flag.id)
        audit_flag(flag, "flag.auto_resolved", self.now)

    def reopen(self, flag: Flag) -> None:
        flag.status = "open"
        flag.auto_resolution_reason = None
        flag.resolved_at = None
        flag.episode_end = None
        self.touched.add(flag.id)
        audit_flag(flag, "flag.reopened", self.now)

    def set_reason(self, flag: Flag, reason: str) -> None:
        flag.auto_resolution_reason = reason
        self.touched.add(flag.id)
        audit_flag(flag, "flag.auto_resolution_changed", self.now)


def reconcile(
    *,
    patient_id: uuid.UUID,
    clinic_id: uuid.UUID,
    flags: Iterable[Flag],
    findings: Findings,
    ctx: Context,
    first: date,
    now: datetime,
) -> None:
    """Apply ``findings`` for ``[first, ctx.today]`` to the patient's stored ``flags``."""
    Reconciler(patient_id, clinic_id, ctx, first, now, list(flags)).apply(findings)
