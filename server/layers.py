"""The layer order of the domains, as data: a domain imports only from the domains before it.

``tests/foundation/test_layers.py`` holds the code to it; the README's *How it is built* draws it.
Everything in ``server/`` outside these packages is the shared kernel (``db``, ``clock``,
``errors``, ``access``, ``events``, ``serialization``, ``pagination``, ``routing``, …): it sits
below every domain and imports none, except the :data:`ASSEMBLY` modules that put the
application together. A change a higher domain must react to is published as an event
(``server/events.py``), not called upward.
"""

from __future__ import annotations

# Lowest first.
LAYERS: tuple[str, ...] = (
    "audit",  # the audit trail: every domain writes it
    "accounts",  # clinics, users, patients, sessions
    "programmes",  # the exercise library, programmes as revisions, the plan
    "tracking",  # patient records, checked against the programme in force
    "measures",  # outcome measures: scored questionnaires over records, read by flags later
    "adherence",  # adherence and the daily pain series, over programmes and records
    "flags",  # the flag engine, over everything below
    "clinics",  # clinic settings: show the flag thresholds in force, re-queue flags on change
    "reminders",  # reminder streams, alerts about flags, the outbox
    "overview",  # the patient list's 7-day summary: a read model over the domains it sums up
)

# The kernel modules that must import domains, each with why. No domain imports them.
ASSEMBLY: dict[str, str] = {
    "server": "create_app registers every domain's blueprints, commands and event handlers",
    "server.models": "imports every domain's tables so the metadata (and Alembic) sees them all",
    "server.wiring": "the table of who handles each event, and the reads plugged in from above",
    "server.scheduler": "the scheduler process: its job list and command run domain jobs",
    "server.seeding": "flask seed and the demo data, which fill every domain",
}
