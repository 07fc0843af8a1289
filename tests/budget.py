"""How many examples a property test of the pure rules runs: its own number, fewer under
``make mutation``, where every surviving mutant reruns each property test that reaches it."""

from __future__ import annotations

from hypothesis import settings

MUTATION_PROFILE = "mutation"
MUTATION_EXAMPLES = 15


def examples(count: int) -> int:
    """``count``, capped at ``MUTATION_EXAMPLES`` while the mutation profile is loaded."""
    if settings.get_current_profile_name() == MUTATION_PROFILE:
        return min(count, MUTATION_EXAMPLES)
    return count
