"""Outcome measures (PROMs): scored questionnaires from seed data, scheduled on programmes,
answered by patients and read by therapists as a series of changes from baseline."""
