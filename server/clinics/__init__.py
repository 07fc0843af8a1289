"""Clinic settings: name, time zone, emergency number, digest time, language, flag thresholds."""
