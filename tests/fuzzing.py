"""How long the fuzz tests run (docs/testing.md): a few examples, the same each run, in CI;
``SLA_FUZZ_EXAMPLES=N`` runs N examples of each, new ones every run."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG_RUN = os.environ.get("SLA_FUZZ_EXAMPLES")


def examples(in_ci: int) -> int:
    return int(LONG_RUN) if LONG_RUN else in_ci


def fuzz_settings(in_ci: int) -> settings:
    """Hypothesis settings of a fuzz test that runs ``in_ci`` examples in CI. Derandomized there
    (a CI run fails on a change, not on luck) and kept in no example database."""
    return settings(max_examples=examples(in_ci), deadline=None, derandomize=not LONG_RUN,
                    database=None, suppress_health_check=list(HealthCheck))
