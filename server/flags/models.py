"""Flag tables (filled in by the flag engine work)."""
