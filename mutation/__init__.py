"""Mutation testing of the pure rules: ``python -m mutation`` (``make mutation``)."""
