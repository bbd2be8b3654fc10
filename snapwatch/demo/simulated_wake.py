"""One simulated wake of a demo device: its payloads and petri image, a pure function of the fire.

Each wake's values come from a random stream of its own (seed, device, fire time), so the
same fire always gives the same wake; :class:`snapwatch.demo.simulator.DeviceSimulator`
writes them (:mod:`snapwatch.demo.wake_writer`) as simulated time passes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from snapwatch.demo.cron import fire_times, local_midnight, parse_cron
from snapwatch.demo.growth import observed_score
from snapwatch.demo.history import (
    IMAGE_URL,
    RETRY_SHARE,
    image_every,
    plan_reading,
    wake_reading,
)
from snapwatch.demo.places import DevicePlan, Ids
from snapwatch.demo.rows import Image, Payload

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SimulatedWake:
    """One fire of a device's schedule: its payload (and a retry after a failure) and the
    image it took, with the score the scorer will give it and when."""

    payloads: tuple[Payload, ...]
    image: Image | None
    """With its eventual score; see :meth:`image_as_of`."""

    def image_as_of(self, now: datetime) -> Image:
        """The image as it stands at ``now``: unscored until its ``scored_at``."""
        assert self.image is not None
        image = self.image
        if image.scored_at is None or image.scored_at <= now:
            return image
        return replace(image, mgi_score=None, scored_at=None)


def simulate_wake(
    plan: DevicePlan, fire: datetime, *, history_start: datetime, ids: Ids, seed: int
) -> SimulatedWake:
    """The wake of ``plan``'s device at ``fire``: a pure function of the seed, the device and
    the fire time, with the seeded history's ids and shares of failed, pending and partial
    wakes, retries and images."""
    device, site = plan.device, plan.site
    key = str(int(fire.timestamp()))
    rng = random.Random(f"{seed}:{device.device_code}:{key}:sim")
    captured = fire + timedelta(seconds=rng.uniform(0.5, 6.0))
    received = captured + timedelta(seconds=rng.uniform(5.0, 90.0))
    program_day = (captured - plan.program_start) / DAY
    status, values = wake_reading(plan, captured, history_start=history_start, rng=rng)
    every = image_every(parse_cron(device.wake_schedule_cron).per_day)
    takes_image = _index_in_day(plan, fire) % every == 0
    image_id = (
        ids(f"image:{device.device_code}:{key}") if takes_image and status != "failed" else None
    )
    session = ids(f"session:{site.site_id}:{captured.astimezone(plan.tz).date().isoformat()}")

    def payload(pid: str, at: datetime, came: datetime, kind: str, **v: Any) -> Payload:
        return Payload(
            payload_id=ids(f"payload:{device.device_code}:{pid}"),
            company_id=site.company_id,
            program_id=site.program_id,
            site_id=site.site_id,
            site_device_session_id=session,
            device_id=device.device_id,
            captured_at=at,
            received_at=came,
            **v,
            wake_type=kind,
        )

    wake = payload(
        key,
        captured,
        received,
        "image_wake" if takes_image else "telemetry_only",
        **values.columns(),
        image_id=image_id,
        payload_status=status,
    )
    out = [wake]
    image = None
    if image_id is not None:
        complete = status == "complete"
        scored_at = received + timedelta(seconds=rng.uniform(90.0, 480.0))
        score = observed_score(plan.curve, program_day, rng)
        image = Image(
            image_id=image_id,
            device_id=device.device_id,
            image_url=IMAGE_URL.format(
                code=device.device_code.lower(), stamp=captured.strftime("%Y%m%dT%H%M%SZ")
            ),
            captured_at=captured,
            status="complete" if complete else "receiving",
            site_id=site.site_id,
            site_device_session_id=session,
            wake_payload_id=wake.payload_id,
            mgi_score=score if complete else None,
            scored_at=scored_at if complete else None,
            observation_type="petri",
        )
    if status == "failed" and rng.random() < RETRY_SHARE:
        retried = captured + timedelta(seconds=rng.uniform(120.0, 300.0))
        again = plan_reading(plan, retried, history_start=history_start, rng=rng)
        out.append(
            payload(
                f"{key}:retry",
                retried,
                retried + timedelta(seconds=rng.uniform(5.0, 30.0)),
                "retry",
                temperature=again.temperature,
                humidity=again.humidity,
                pressure=again.pressure,
                gas_resistance=again.gas_resistance,
                battery_voltage=again.battery_voltage,
                wifi_rssi=again.wifi_rssi,
                image_id=None,
                payload_status="complete",
            )
        )
    return SimulatedWake(tuple(out), image)


def _index_in_day(plan: DevicePlan, fire: datetime) -> int:
    """The fire's place among its local day's fires: fast schedules image every 2nd or 4th
    wake counted from local midnight, as the seeded history (which starts at one) does."""
    local_day = fire.astimezone(plan.tz).date()
    return len(
        fire_times(
            plan.device.wake_schedule_cron, plan.tz, local_midnight(local_day, plan.tz), fire
        )
    )
