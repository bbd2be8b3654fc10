"""Documents are linear in devices at any density (pitfall 36).

Two sites in the same 100 × 50 ft room: 20 devices spread out, and 5,000 packed one per
square foot (about 700 within 15 ft of each one, where device-centred zones listing
their members made a 123 MB document). One ``snapwatch run-once``, in a process of its
own, writes both: the packed site's document costs what the spread one's does per
device, and the process stays under 500 MB.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from psycopg.types.json import Jsonb
from support.overview_rows import Rows
from support.snapshot_factory import validate

LENGTH, WIDTH = 100.0, 50.0
DAY = datetime(2026, 6, 10, tzinfo=UTC)
CAPTURED = DAY + timedelta(minutes=30)  # inside the first hourly round
AT = DAY + timedelta(hours=1, minutes=5)  # that round has ended and settled
SPARSE, PACKED = 20, 5_000
PEAK_RSS_LIMIT = 500 * 2**20
ZONES = [
    {"id": "west", "label": "West", "bounds": {"x1": 0, "y1": 0, "x2": 50, "y2": 50}},
    {"id": "east", "label": "East", "bounds": {"x1": 50, "y1": 0, "x2": 100, "y2": 50}},
]

# ``count`` devices of one site on a square grid that fills the room, in one statement.
DEVICES_SQL = """
INSERT INTO devices (device_mac, device_code, device_name, site_id, program_id, company_id,
                     x_position, y_position, is_active, provisioning_status,
                     battery_voltage, battery_health_percent, last_seen_at)
SELECT %(mac)s || ':' || rtrim(regexp_replace(lpad(to_hex(n), 10, '0'), '(..)', '\\1:', 'g'),
                               ':'),
       %(code)s || '-' || lpad(n::text, 5, '0'), 'Sensor ' || n,
       s.site_id, s.program_id, s.company_id,
       %(step)s * (0.5 + (n - 1) %% %(per_row)s), %(step)s * (0.5 + (n - 1) / %(per_row)s),
       true, 'active', 3.9, 80, %(seen)s
  FROM sites s
 CROSS JOIN generate_series(1, %(count)s) AS n
 WHERE s.site_id = %(site)s
"""

# One scored image and one wake payload per device, captured inside the round.
IMAGES_SQL = """
INSERT INTO device_images (device_id, image_url, captured_at, status, site_id,
                           site_device_session_id, mgi_score, scored_at, observation_type)
SELECT d.device_id, 'https://images.example.invalid/' || d.device_code || '.jpg',
       %(at)s, 'complete', d.site_id, ss.session_id,
       round((0.05 + d.x_position / 400)::numeric, 4), %(at)s, 'petri'
  FROM devices d
  JOIN site_device_sessions ss ON ss.site_id = d.site_id
"""

PAYLOADS_SQL = """
INSERT INTO device_wake_payloads (company_id, program_id, site_id, site_device_session_id,
                                  device_id, captured_at, temperature, humidity, pressure,
                                  gas_resistance, battery_voltage, wifi_rssi, image_id,
                                  payload_status, wake_type)
SELECT d.company_id, d.program_id, d.site_id, g.site_device_session_id, d.device_id,
       g.captured_at, 70 + d.y_position / 10, 55, 1012.5, 15000, 3.9, -60, g.image_id,
       'complete', 'image_wake'
  FROM devices d
  JOIN device_images g ON g.device_id = d.device_id
"""

# The tick's process: the real command, then its own peak resident memory. VmHWM, not
# ru_maxrss: ru_maxrss survives exec and would report the test process it was spawned
# from.
CHILD = """
import sys
from pathlib import Path
from snapwatch.cli import main
code = main(sys.argv[1:])
status = Path("/proc/self/status").read_text().splitlines()
peak_kib = next(int(s.split()[1]) for s in status if s.startswith("VmHWM:"))
print(f"peak_rss_kib {peak_kib}", file=sys.stderr)
sys.exit(code)
"""


def add_site(rows: Rows, program: UUID, name: str, count: int) -> UUID:
    """A site in the room with an open session and ``count`` devices on a grid."""
    site = rows.site(
        program,
        name,
        length=LENGTH,
        width=WIDTH,
        zones=Jsonb(ZONES),
        timezone="UTC",
        snapshot_cadence_hours=1,
    )
    rows.session(site, DAY, DAY + timedelta(days=1), "in_progress")
    step = math.sqrt(LENGTH * WIDTH / count)
    rows.conn.execute(
        DEVICES_SQL,
        {
            "site": site,
            "count": count,
            "step": step,
            "per_row": math.ceil(LENGTH / step),
            "code": name.upper(),
            "mac": f"{count % 256:02X}",
            "seen": CAPTURED,
        },
    )
    return site


def tick_in_own_process(dsn: str) -> tuple[dict[str, Any], int]:
    """``snapwatch run-once --json`` as of ``AT``; its report and its peak RSS in bytes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPWATCH_")}
    argv = ["run-once", "--dsn", dsn, "--at", AT.isoformat(), "--json"]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("peak_rss_kib "), done.stderr
    return json.loads(done.stdout), int(last.split()[1]) * 1024


def written_document(rows: Rows, site: UUID) -> dict[str, Any]:
    row = rows.conn.execute(
        "SELECT site_state FROM session_wake_snapshots WHERE site_id = %s", (site,)
    ).fetchone()
    assert row is not None
    document: dict[str, Any] = row[0]
    return document


def bytes_per_device(document: dict[str, Any]) -> float:
    """As written: compact JSON."""
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode()) / len(document["devices"])


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_a_packed_site_costs_what_a_sparse_one_does_per_device_and_its_tick_stays_small(
    migrated_dsn: str, rows: Rows, isolated_env: Path
) -> None:
    program = rows.program(rows.company("Dense Growers"), "Density trial")
    sparse = add_site(rows, program, "Sparse", SPARSE)
    packed = add_site(rows, program, "Packed", PACKED)
    rows.conn.execute(IMAGES_SQL, {"at": CAPTURED})
    rows.conn.execute(PAYLOADS_SQL)
    rows.conn.execute("ANALYZE")

    report, peak_rss = tick_in_own_process(migrated_dsn)

    assert report["summary"] == {
        "sites": 2,
        "written": 2,
        "skipped": 0,
        "busy": 0,
        "failed": 0,
        "snapshots": 2,
    }
    small, large = written_document(rows, sparse), written_document(rows, packed)
    assert len(large["devices"]) == PACKED
    assert large["session_metrics"]["devices_reporting"] == PACKED
    device_zones = [z for z in large["environmental_zones"] if z["source"] == "device"]
    assert len(device_zones) == PACKED
    assert not any("device_ids" in z for z in device_zones)
    assert bytes_per_device(large) == pytest.approx(bytes_per_device(small), rel=0.2)
    assert peak_rss < PEAK_RSS_LIMIT, f"peak RSS {peak_rss / 2**20:.0f} MiB"
    validate(small)
    validate(large)
