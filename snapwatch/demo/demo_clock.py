"""The demo's accelerated clock: its name, its speed and how often the demo steps and ticks."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_CLOCK_NAME = "demo"
DEFAULT_SPEED = 120.0
"""Simulated seconds per wall second: a 15-minute slot every 7.5 s, an hourly one every
30 s, a day in 12 minutes; the fleet makes about six wakes a second."""


@dataclass(frozen=True, slots=True)
class DemoClockSettings:
    """How the demo runs on the shared accelerated clock."""

    name: str
    speed: float
    """Simulated seconds per wall second."""
    step_seconds: float
    """Wall seconds between two simulator steps."""
    tick_seconds: float
    """Wall seconds between scheduler ticks that keep up with a 15-minute site."""


def demo_clock_settings(speed: float = DEFAULT_SPEED) -> DemoClockSettings:
    """Settings of the demo clock at ``speed``: steps and ticks every 5 simulated minutes
    (2.5 wall seconds at the default speed), at most every 0.5 s and at least every 60 s."""
    if speed <= 0:
        raise ValueError("the demo speed must be positive")
    every = min(60.0, max(0.5, 300.0 / speed))
    return DemoClockSettings(DEMO_CLOCK_NAME, float(speed), every, every)
