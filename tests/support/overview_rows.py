"""Small platform rows for tests: companies → programs → sites → devices and sessions,
wake payloads, images and alerts, written with plain SQL so the tests read like the
schema."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg

_macs = itertools.count(1)


class Rows:
    """Inserts rows on one autocommit connection; every method returns the new id."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def _insert(self, table: str, key: str, values: dict[str, Any]) -> UUID:
        columns = ", ".join(values)
        params = ", ".join(f"%({c})s" for c in values)
        row = self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING {key}", values
        ).fetchone()
        assert row is not None
        return UUID(str(row[0]))

    def company(self, name: str) -> UUID:
        return self._insert("companies", "company_id", {"name": name})

    def program(self, company_id: UUID, name: str) -> UUID:
        return self._insert(
            "pilot_programs",
            "program_id",
            {
                "company_id": company_id,
                "name": name,
                "start_date": "2025-01-01",
                "end_date": "2025-12-31",
            },
        )

    def site(self, program_id: UUID, name: str, **columns: Any) -> UUID:
        company = self.conn.execute(
            "SELECT company_id FROM pilot_programs WHERE program_id = %s", (program_id,)
        ).fetchone()
        assert company is not None
        values = {"program_id": program_id, "company_id": company[0], "name": name, **columns}
        return self._insert("sites", "site_id", values)

    def device(
        self,
        site_id: UUID,
        *,
        is_active: bool = True,
        provisioning_status: str | None = "active",
        **columns: Any,
    ) -> UUID:
        n = next(_macs)
        return self._insert(
            "devices",
            "device_id",
            {
                "device_mac": f"AA:BB:CC:00:{n // 256:02X}:{n % 256:02X}",
                "device_code": f"DEVICE-TEST-{n:04d}",
                "site_id": site_id,
                "is_active": is_active,
                "provisioning_status": provisioning_status,
                **columns,
            },
        )

    def _site_keys(self, site_id: UUID) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT company_id, program_id FROM sites WHERE site_id = %s", (site_id,)
        ).fetchone()
        assert row is not None
        return {"company_id": row[0], "program_id": row[1], "site_id": site_id}

    def payload(self, device_id: UUID, captured_at: datetime, **telemetry: Any) -> UUID:
        site = self.conn.execute(
            "SELECT site_id FROM devices WHERE device_id = %s", (device_id,)
        ).fetchone()
        assert site is not None
        values = {**self._site_keys(site[0]), "device_id": device_id, "captured_at": captured_at}
        return self._insert("device_wake_payloads", "payload_id", {**values, **telemetry})

    def image(self, device_id: UUID, captured_at: datetime, mgi_score: float | None) -> UUID:
        return self._insert(
            "device_images",
            "image_id",
            {
                "device_id": device_id,
                "captured_at": captured_at,
                "mgi_score": mgi_score,
                "status": "complete",
                "observation_type": "petri",
            },
        )

    def alert(self, site_id: UUID, device_id: UUID | None, triggered_at: datetime) -> UUID:
        return self._insert(
            "device_alerts",
            "alert_id",
            {
                **self._site_keys(site_id),
                "device_id": device_id,
                "alert_type": "mgi_high",
                "severity": "warning",
                "message": "MGI above threshold",
                "triggered_at": triggered_at,
            },
        )

    def session(
        self,
        site_id: UUID,
        start: datetime,
        end: datetime,
        status: str,
        *,
        session_date: date | None = None,
        **columns: Any,
    ) -> UUID:
        """A session; ``session_date`` defaults to the start's date (two sessions of a
        site need two dates: UNIQUE(site_id, session_date))."""
        site = self.conn.execute(
            "SELECT company_id, program_id FROM sites WHERE site_id = %s", (site_id,)
        ).fetchone()
        assert site is not None
        return self._insert(
            "site_device_sessions",
            "session_id",
            {
                **columns,
                "company_id": site[0],
                "program_id": site[1],
                "site_id": site_id,
                "session_date": session_date or start.date(),
                "session_start_time": start,
                "session_end_time": end,
                "expected_wake_count": 24,
                "status": status,
            },
        )
