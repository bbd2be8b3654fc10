"""One snapshot ready to write: its round's observations built into the document, with
the row values the writer stores beside it (the scheduler's and the backfill's alike)."""

from __future__ import annotations

from datetime import datetime

from snapwatch import __version__
from snapwatch.infra.config import Settings
from snapwatch.snapshot.document import document_aggregates, document_data
from snapwatch.snapshot.inputs import DeviceFacts, Round, RoundInputs, SessionFacts, SiteFacts
from snapwatch.snapshot.jsontext import dumps
from snapwatch.snapshot.reader import RoundData
from snapwatch.snapshot.writer import PreparedSnapshot


def prepare_snapshot(
    *,
    site: SiteFacts,
    session: SessionFacts,
    round_: Round,
    devices: tuple[DeviceFacts, ...],
    data: RoundData,
    settings: Settings,
    now: datetime,
) -> PreparedSnapshot:
    """The document of ``round_`` (generated at ``now``) and its row values."""
    inputs = RoundInputs(
        site=site,
        session=session,
        round=round_,
        devices=devices,
        observations=data.observations,
        site_alerts=data.site_alerts,
        roster_from_today=data.roster_from_today,
    )
    doc = document_data(
        inputs,
        generated_at=now,
        settings=settings.snapshot,
        plausibility=settings.plausibility,
        generator_version=__version__,
    )
    return PreparedSnapshot(
        company_id=site.company_id,
        program_id=site.program_id,
        site_id=site.site_id,
        session_id=session.session_id,
        wake_number=round_.wake_number,
        start=round_.start,
        end=round_.end,
        trigger=round_.trigger,
        provisional=round_.provisional,
        document=dumps(doc),
        late_by_seconds=round_.late_by_seconds,
        aggregate=document_aggregates(doc),
    )
