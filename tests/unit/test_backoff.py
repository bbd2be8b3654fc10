"""Reconnection waits: doubling to a cap, each one jittered so that processes which lost
the same database do not all try again at the same instant."""

from __future__ import annotations

import random
import statistics

import pytest

from snapwatch.infra.backoff import CAP_SECONDS, JITTER_SHARE, START_SECONDS, Backoff, backoff_delay

BASES = [0.5, 1, 2, 4, 8, 16, 30, 30, 30, 30]


def test_without_jitter_the_waits_double_from_half_a_second_to_the_cap() -> None:
    assert [backoff_delay(n, 0.0) for n in range(1, 11)] == BASES
    assert (BASES[0], BASES[-1]) == (START_SECONDS, CAP_SECONDS)


@pytest.mark.parametrize("failures", [1, 3, 7, 40])
def test_a_draw_takes_at_most_half_the_base_off(failures: int) -> None:
    base = BASES[min(failures, len(BASES)) - 1]
    assert backoff_delay(failures, 0.999999) == pytest.approx(base * (1 - JITTER_SHARE), rel=1e-5)
    assert backoff_delay(failures, 0.5) == base * 0.75


def test_many_sessions_spread_their_attempts_within_the_bounds() -> None:
    """500 sessions that failed together: for every attempt, each wait lies within
    [base / 2, base], the waits are not alike, and they spread over most of that range."""
    rng = random.Random(20261128)
    sessions = [Backoff(rng.random) for _ in range(500)]
    for base in BASES:
        waits = [s.next() for s in sessions]
        assert all(base / 2 <= w <= base for w in waits)
        assert len(set(waits)) > 490
        assert max(waits) - min(waits) >= 0.45 * base
        assert statistics.pstdev(waits) >= 0.1 * base  # uniform over base/2: ~0.144 base


def test_the_module_random_source_jitters_too_and_a_reset_starts_again() -> None:
    backoff = Backoff()
    first = [backoff.next() for _ in range(4)]
    assert all(b / 2 <= w <= b for w, b in zip(first, BASES, strict=False))
    backoff.reset()
    assert 0.25 <= backoff.next() <= 0.5
    fresh = [Backoff().next() for _ in range(50)]
    assert len(set(fresh)) > 1
