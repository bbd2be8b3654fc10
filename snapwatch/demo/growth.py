"""Mold growth on a petri plate: a logistic curve of the covered share (MGI, 0 to 1)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GrowthCurve:
    """``baseline + capacity / (1 + exp(-rate · (day - midpoint)))``, days since program start."""

    baseline: float
    capacity: float
    rate: float
    midpoint: float

    def at(self, day: float) -> float:
        z = -self.rate * (day - self.midpoint)
        value = self.baseline + self.capacity / (1.0 + math.exp(min(z, 700.0)))
        return min(1.0, max(0.0, value))


def calm_curve(rng: random.Random, program_day: float) -> GrowthCurve:
    """A plate that stays low or moderate over the program so far."""
    return GrowthCurve(
        baseline=rng.uniform(0.005, 0.03),
        capacity=rng.uniform(0.05, 0.30),
        rate=rng.uniform(0.08, 0.30),
        midpoint=program_day + rng.uniform(-8.0, 25.0),
    )


def hot_curve(rng: random.Random, program_day: float) -> GrowthCurve:
    """A plate past its growth midpoint, in the high band (> 0.40) by ``program_day``."""
    return GrowthCurve(
        baseline=rng.uniform(0.01, 0.03),
        capacity=rng.uniform(0.70, 0.90),
        rate=rng.uniform(0.45, 0.70),
        midpoint=program_day - rng.uniform(1.0, 3.0),
    )


def observed_score(curve: GrowthCurve, day: float, rng: random.Random) -> float:
    """The scorer's reading: the curve plus a little measurement noise, kept in 0..1."""
    noisy = curve.at(day) + rng.gauss(0.0, 0.006)
    return round(min(1.0, max(0.0, noisy)), 4)
