"""Reminder tables (filled in by the reminder work)."""
