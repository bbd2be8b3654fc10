"""Alerts the platform would have raised over a device's history: low battery, high MGI,
offline (resolved when the device came back)."""

from __future__ import annotations

from datetime import datetime, timedelta

from snapwatch.demo.cron import parse_cron
from snapwatch.demo.places import DevicePlan, Ids
from snapwatch.demo.rows import Alert, Image, Payload
from snapwatch.demo.site_days import SessionFinder

HIGH_MGI = 0.40
BATTERY_WARNING_V = 3.6
BATTERY_CRITICAL_V = 3.4


def device_alerts(
    plan: DevicePlan,
    payloads: list[Payload],
    images: list[Image],
    *,
    start: datetime,
    now: datetime,
    sessions: SessionFinder,
    ids: Ids,
) -> list[Alert]:
    """Low battery, high MGI and offline alerts, as the platform would have raised them."""
    device, site = plan.device, plan.site
    raised: list[Alert] = []

    def alert(
        kind: str, severity: str, message: str, at: datetime, resolved: datetime | None = None
    ) -> None:
        session = sessions.at(site.site_id, at)
        raised.append(
            Alert(
                alert_id=ids(f"alert:{device.device_code}:{kind}:{at.isoformat()}"),
                device_id=device.device_id,
                site_id=site.site_id,
                company_id=site.company_id,
                program_id=site.program_id,
                alert_type=kind,
                severity=severity,
                message=message,
                triggered_at=at,
                resolved_at=resolved,
                session_id=session.session_id if session else None,
            )
        )

    for threshold, severity in ((BATTERY_WARNING_V, "warning"), (BATTERY_CRITICAL_V, "critical")):
        low = next(
            (
                p
                for p in payloads
                if p.battery_voltage is not None and p.battery_voltage < threshold
            ),
            None,
        )
        if low is not None and low.battery_voltage is not None:
            alert(
                "low_battery",
                severity,
                f"battery {low.battery_voltage:.3f} V is below {threshold:.2f} V",
                low.received_at,
            )

    high = next((i for i in images if i.mgi_score is not None and i.mgi_score > HIGH_MGI), None)
    if high is not None and high.mgi_score is not None and high.scored_at is not None:
        alert(
            "mgi_high",
            "error",
            f"MGI {high.mgi_score:.3f} is in the high band (> {HIGH_MGI:.2f})",
            high.scored_at,
        )

    per_day = parse_cron(device.wake_schedule_cron).per_day
    interval = timedelta(days=1) / per_day
    silence = max(timedelta(hours=3), interval * 2.5)
    grace = max(timedelta(hours=1), interval * 2)
    last_seen = start
    for p in sorted(payloads, key=lambda p: p.captured_at):
        if p.captured_at - last_seen > silence and last_seen > start:
            alert(
                "device_offline",
                "warning",
                f"no wake since {last_seen:%Y-%m-%d %H:%M} UTC",
                last_seen + grace,
                resolved=p.received_at,
            )
        last_seen = p.captured_at
    if now - last_seen > silence and last_seen > start:
        alert(
            "device_offline",
            "warning",
            f"no wake since {last_seen:%Y-%m-%d %H:%M} UTC",
            last_seen + grace,
        )
    return raised
