"""One device's recent past: its wakes, the images they took and the alerts they raised."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from uuid import UUID

from snapwatch.demo.alerts import device_alerts
from snapwatch.demo.cron import fire_times, parse_cron
from snapwatch.demo.growth import observed_score
from snapwatch.demo.places import DevicePlan, Ids
from snapwatch.demo.rows import Alert, Image, Payload
from snapwatch.demo.site_days import SessionFinder
from snapwatch.demo.telemetry import Reading, failed, partial, reading

IMAGE_URL = "https://images.snapwatch-demo.invalid/{code}/{stamp}.jpg"
FAILED_SHARE = 0.03
PENDING_SHARE = 0.03
PARTIAL_SHARE = 0.07
RETRY_SHARE = 0.7
GAP_SHARE = 0.10
BACKLOG_SHARE = 0.10


@dataclass(slots=True)
class DeviceHistory:
    payloads: list[Payload] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def image_every(per_day: int) -> int:
    """Every wake takes an image on slow schedules; fast ones image every 2nd or 4th wake."""
    if per_day <= 24:
        return 1
    return 2 if per_day <= 48 else 4


def plan_reading(
    plan: DevicePlan, at: datetime, *, history_start: datetime, rng: random.Random
) -> Reading:
    """The telemetry ``plan``'s device reads at ``at``: its climate, and the MGI its growth
    curve has reached by then."""
    day = timedelta(days=1)
    return reading(
        plan.climate,
        plan.profile,
        at=at,
        tz=plan.tz,
        days_elapsed=(at - history_start) / day,
        mgi=plan.curve.at((at - plan.program_start) / day),
        rng=rng,
    )


def wake_reading(
    plan: DevicePlan, captured: datetime, *, history_start: datetime, rng: random.Random
) -> tuple[str, Reading]:
    """The payload status and telemetry of ``plan``'s device waking at ``captured``: its
    climate and growth curve, with shares of failed, pending and partial wakes. The seeded
    history and the simulator both draw from ``rng`` in this order."""
    full = plan_reading(plan, captured, history_start=history_start, rng=rng)
    roll = rng.random()
    status = (
        "failed"
        if roll < FAILED_SHARE
        else "pending"
        if roll < FAILED_SHARE + PENDING_SHARE
        else "complete"
    )
    if status == "failed":
        return status, failed(full)
    if rng.random() < PARTIAL_SHARE:
        return status, partial(full, rng)
    return status, full


def _gap(
    plan: DevicePlan, start: datetime, now: datetime, rng: random.Random
) -> tuple[datetime, datetime] | None:
    if plan.offline_for is not None:
        return now - plan.offline_for, now
    if rng.random() >= GAP_SHARE:
        return None
    length = timedelta(hours=rng.uniform(3.0, 9.0))
    room = (now - start) - length - timedelta(hours=4)
    if room <= timedelta(0):
        return None
    gap_start = start + timedelta(hours=2) + room * rng.random()
    return gap_start, gap_start + length


def device_history(
    plan: DevicePlan,
    *,
    start: datetime,
    now: datetime,
    sessions: SessionFinder,
    ids: Ids,
    rng: random.Random,
) -> DeviceHistory:
    """Wakes at the device's cron times in ``[start, now)`` that have arrived by ``now``."""
    out = DeviceHistory()
    device, site = plan.device, plan.site
    cron = device.wake_schedule_cron
    every = image_every(parse_cron(cron).per_day)
    gap = _gap(plan, start, now, rng)
    day = timedelta(days=1)

    def payload(
        key: str,
        captured: datetime,
        received: datetime,
        values: Reading,
        *,
        status: str,
        kind: str,
        image_id: UUID | None = None,
    ) -> Payload:
        session = sessions.at(site.site_id, captured)
        return Payload(
            payload_id=ids(f"payload:{device.device_code}:{key}"),
            company_id=site.company_id,
            program_id=site.program_id,
            site_id=site.site_id,
            site_device_session_id=session.session_id if session else None,
            device_id=device.device_id,
            captured_at=captured,
            received_at=received,
            **values.columns(),
            image_id=image_id,
            payload_status=status,
            wake_type=kind,
        )

    for i, fire in enumerate(fire_times(cron, plan.tz, start, now)):
        if gap and gap[0] <= fire < gap[1]:
            continue
        captured = fire + timedelta(seconds=rng.uniform(0.5, 6.0))
        received = captured + timedelta(seconds=rng.uniform(5.0, 90.0))
        if received > now:
            continue
        program_day = (captured - plan.program_start) / day
        status, values = wake_reading(plan, captured, history_start=start, rng=rng)
        takes_image = i % every == 0
        key = str(int(fire.timestamp()))
        image_id = (
            ids(f"image:{device.device_code}:{key}") if takes_image and status != "failed" else None
        )
        wake = payload(
            key,
            captured,
            received,
            values,
            status=status,
            kind="image_wake" if takes_image else "telemetry_only",
            image_id=image_id,
        )
        out.payloads.append(wake)
        if image_id is not None:
            out.images.append(
                _image(plan, wake, image_id, program_day=program_day, now=now, rng=rng)
            )
        if status == "failed" and rng.random() < RETRY_SHARE:
            retried = captured + timedelta(seconds=rng.uniform(120.0, 300.0))
            arrived = retried + timedelta(seconds=rng.uniform(5.0, 30.0))
            if arrived <= now:
                again = plan_reading(plan, retried, history_start=start, rng=rng)
                out.payloads.append(
                    payload(
                        f"{key}:retry", retried, arrived, again, status="complete", kind="retry"
                    )
                )
    if rng.random() < BACKLOG_SHARE:
        _leave_unscored(out, rng.randint(1, 2))
    out.alerts = device_alerts(
        plan, out.payloads, out.images, start=start, now=now, sessions=sessions, ids=ids
    )
    return out


def _image(
    plan: DevicePlan,
    wake: Payload,
    image_id: UUID,
    *,
    program_day: float,
    now: datetime,
    rng: random.Random,
) -> Image:
    scored_at: datetime | None = wake.received_at + timedelta(seconds=rng.uniform(90.0, 480.0))
    score: float | None = observed_score(plan.curve, program_day, rng)
    complete = wake.payload_status == "complete"
    if not complete or (scored_at is not None and scored_at > now):
        scored_at, score = None, None
    stamp = wake.captured_at.strftime("%Y%m%dT%H%M%SZ")
    return Image(
        image_id=image_id,
        device_id=wake.device_id,
        image_url=IMAGE_URL.format(code=plan.device.device_code.lower(), stamp=stamp),
        captured_at=wake.captured_at,
        status="complete" if complete else "receiving",
        site_id=wake.site_id,
        site_device_session_id=wake.site_device_session_id,
        wake_payload_id=wake.payload_id,
        mgi_score=score,
        scored_at=scored_at,
        observation_type="petri",
    )


def _leave_unscored(history: DeviceHistory, count: int) -> None:
    """The scorer is behind on this device: its newest images have no score yet."""
    for n in range(len(history.images) - 1, max(-1, len(history.images) - 1 - count), -1):
        history.images[n] = replace(history.images[n], mgi_score=None, scored_at=None)
