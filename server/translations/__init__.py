"""Problem details in the reader's language: every message the API sends, in Turkish, looked up
by its English text (the code keeps writing English; the edge translates). The catalogue is
data, in ``messages`` (fixed texts) and ``patterns`` (texts with values); this is the lookup."""

from __future__ import annotations

import re

from server.translations.messages import TURKISH
from server.translations.patterns import TURKISH_PATTERNS

__all__ = ["LANGUAGES", "TURKISH", "TURKISH_PATTERNS", "translate"]

LANGUAGES = ("en", "tr")

# "items: 0.exercise: Unknown exercise.": the path before the message stays as it is.
_PATH_PREFIX = re.compile(r"^((?:[\w\[\]-]+\.)*[\w\[\]-]+: )(.+)$")


def translate(message: str, language: str) -> str:
    """``message`` in ``language``; English, or a message without a translation, as it is."""
    if language != "tr":
        return message
    if message in TURKISH:
        return TURKISH[message]
    for pattern, template in TURKISH_PATTERNS:
        if pattern.fullmatch(message):
            return pattern.sub(template, message)
    if (prefixed := _PATH_PREFIX.match(message)) and prefixed.group(2) != message:
        return prefixed.group(1) + translate(prefixed.group(2), language)
    return message
