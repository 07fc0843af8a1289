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
    "export",  # data rights: everything held about a patient, as JSON or a FHIR R4 Bundle
    "calendar",  # the private calendar feed: programmes, measures and the patient's time zone
    "reports",  # the progress report (PDF) for a referring physician, over everything below
    "erasure",  # erasing a patient: every domain below erases its own part (PatientErased)
)

# The kernel modules that must import domains, each with why. No domain imports them.
ASSEMBLY: dict[str, str] = {
    "server.metrics_backlog": "the scheduler's backlog gauges read the outbox and the flag queue",
    "server": "create_app registers every domain's blueprints, commands and event handlers",
    "server.models": "imports every domain's tables so the metadata (and Alembic) sees them all",
    "server.wiring": "the table of who handles each event, and the reads plugged in from above",
    "server.scheduler": "the scheduler process: its job list and command run domain jobs",
    "server.seeding": "flask seed and the demo data, which fill every domain",
}

# The module names every domain package uses; a vocabulary module may be a package of its own
# (``accounts/services/``) once it would pass 300 lines. ``tests/foundation/test_layers.py``
# fails on a domain module that is neither here nor in :data:`VOCABULARY_EXCEPTIONS`.
VOCABULARY: dict[str, str] = {
    "models": "tables of this domain",
    "schemas": "marshmallow: request schemas (…In, …Args) apart from response schemas (…Out)",
    "services": "use cases (writes): plain functions with keyword arguments; flush, never commit",
    "queries": "reads: the ones other domains may use, and the audited reads the API serves",
    "rules": "pure decisions on plain values: no database, no Flask",
    "routes": "the smorest Blueprint and its MethodViews: parse, call a service, return",
    "jobs": "thin scheduler jobs that call services inside an app context",
    "cli": "flask commands",
    "events": "the handlers this domain subscribes to (wired in server/wiring.py)",
}

# Domain modules outside the vocabulary, each with why it stands apart. The README's
# *How it is built* prints this table; the test checks the two agree.
VOCABULARY_EXCEPTIONS: dict[str, str] = {
    "accounts.consents": "consent decisions: given at activation, withdrawn, given again",
    "accounts.cookies": "the refresh-token cookie: HTTP plumbing the auth routes share",
    "accounts.invitations": "one-time invitation codes: issue, activate, revoke",
    "accounts.limits": "rate limits on login, activation and password change (route decorators)",
    "accounts.passwords": "Argon2id hashing and the strength rule, kept apart from their callers",
    "accounts.seed": "the demo clinic and staff accounts (flask seed)",
    "accounts.sessions": "refresh-token families: issue, rotate, revoke, change one's password",
    "accounts.tokens": "flask-jwt-extended wiring: claims, revocation, the pinned decode cache",
    "adherence.pain": "the pain report of a date range, over the daily series",
    "adherence.series": "the daily pain series in a few GROUP BY queries, also read by flags",
    "adherence.week": "the patient list's 7-day adherence of a page at once, ids as text",
    "adherence.week_rules": "pure arithmetic of that adherence over packed status ranks",
    "audit.pages": "a page read's audit events as one row, spread later into one row each",
    "export.fhir": "the FHIR R4 mapping (fhir.resources' R4B models): a standard's names",
    "export.sections": "the JSON export's ordered table of sections, one reader per section",
    "flags.episodes": "pure scans turning the day rules into flag episodes (rules over a timeline)",
    "flags.inputs": "loads what the flag rules need, with bounded window queries",
    "flags.messages": "suggested actions per flag type, in the therapist's language",
    "flags.outcomes": "pure scans of outcome-measure responses into their flag episodes",
    "flags.queue": "the evaluation queue: mark due, claim with SKIP LOCKED",
    "flags.reconcile": "brings stored flags in line with what the rules derived for a window",
    "flags.review": "the therapist's review queue: list, read, acknowledge, resolve (audited)",
    "measures.due": "the administrations open to a patient: inbox, plan and reminders read them",
    "measures.library_schemas": "schemas of the measure definitions, shared by seed files and API",
    "programmes.in_force": "the revision in force on a date in one statement, and as a guard",
    "programmes.items": "programme items and posture-break rules resolved against the library",
    "programmes.library": "the exercise library and the programme templates",
    "programmes.library_schemas": "schemas of the library, shared by seed files and the API",
    "programmes.plan": "a patient's plan for one local date",
    "programmes.plan_schemas": "schemas of the daily plan",
    "programmes.seed": "loads the library and templates from seed/ (flask seed)",
    "reminders.alerts": "therapists' alerts and patient notices that go to the outbox",
    "reminders.batches": "a claimed batch's writes: one statement of arrays on PostgreSQL",
    "reminders.contexts": "loads what the reminder rules need for a batch of patients",
    "reminders.devices": "push devices: tokens per patient, moved between accounts safely",
    "reminders.dispatch": "the dispatch tick's database side: claim due streams, record them",
    "reminders.messages": "message texts in Turkish and English, no names or clinical details",
    "reminders.leases": "the outbox's claim: due or handed-over rows, with what sending needs",
    "reminders.outbox": "the delivery outbox: send what was claimed, record each outcome",
    "reminders.fcm": "the fcm provider: firebase-admin's send_each behind that interface",
    "reminders.providers": "push providers behind one interface: log, webhook, fcm",
    "reminders.replans": "replans that records mark in their own statement, made by the tick",
    "reminders.send_rules": "pure rules at send time: a push judged again, retry backoff",
    "reports.document": "the report laid out as an A4 PDF with reportlab: fonts, pain chart, pages",
    "tracking.batch": "PostgreSQL: a sync batch's lookup, inserts and audit rows in one statement",
    "tracking.bulk": "batch statements taking all their rows in one parameter, on both databases",
    "tracking.digests": "a record body's digest, by which a replay is recognised",
    "tracking.one_record": "one record in as few statements as the database allows",
    "tracking.plugged": "sync kinds of the domains above (sync_kinds in server/wiring.py)",
    "tracking.prescriptions": "the revisions session logs are checked against, one remembered",
    "tracking.store": "set-based persistence of records for the sync batch",
    "tracking.storing": "validated records stored: one in one statement, or set-based",
}

# No module in server/ may pass this many lines (tests/foundation/test_module_size.py).
MAX_MODULE_LINES = 300
