"""Benchmarks: ``make bench`` runs them against a real gunicorn (see bench/__main__.py)."""
