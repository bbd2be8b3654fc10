"""The command palette's site jump: type part of a site's name, go to its row."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol
from uuid import UUID

from textual.command import DiscoveryHit, Hit, Hits, Provider

from snapwatch.readmodels.sites import SiteOverview


class SiteDirectory(Protocol):
    def known_sites(self) -> list[SiteOverview]: ...

    def jump_to(self, site_id: UUID) -> None: ...


class SiteJumpProvider(Provider):
    """Sites of the last read, by name (and program)."""

    def _directory(self) -> SiteDirectory | None:
        main = getattr(self.app, "main", None)
        return main if main is not None and hasattr(main, "known_sites") else None

    def _hit_text(self, site: SiteOverview) -> str:
        return f"Go to site {site.site_name}"

    def _jump(self, directory: SiteDirectory, site_id: UUID) -> Callable[[], None]:
        return partial(directory.jump_to, site_id)

    async def search(self, query: str) -> Hits:
        directory = self._directory()
        if directory is None:
            return
        matcher = self.matcher(query)
        for site in directory.known_sites():
            text = self._hit_text(site)
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    self._jump(directory, site.site_id),
                    help=f"{site.program_name} · {site.state}",
                )

    async def discover(self) -> Hits:
        directory = self._directory()
        if directory is None:
            return
        for site in directory.known_sites()[:50]:
            yield DiscoveryHit(
                self._hit_text(site),
                self._jump(directory, site.site_id),
                help=site.program_name,
            )
