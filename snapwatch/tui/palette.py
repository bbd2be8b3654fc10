"""The command palette's site jump: type part of a site's name, go to its row.

Site names are platform text: entries are literal text (``Content``), their help markup
that shows the program's name as it is (:mod:`snapwatch.tui.plain`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol
from uuid import UUID

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from snapwatch.readmodels.sites import SiteOverview
from snapwatch.text.inert import printable
from snapwatch.text.labels import words
from snapwatch.tui.plain import markup_literal


class SiteDirectory(Protocol):
    def known_sites(self) -> list[SiteOverview]: ...

    def jump_to(self, site_id: UUID) -> None: ...


def highlighted(matcher: Matcher, text: str) -> Content:
    """``text`` as literal text with the letters ``matcher`` matched highlighted
    (``Matcher.highlight`` would read ``text`` as markup)."""
    content = Content(text)
    _, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class SiteJumpProvider(Provider):
    """Sites of the last read, by name (and program)."""

    def _directory(self) -> SiteDirectory | None:
        main = getattr(self.app, "main", None)
        return main if main is not None and hasattr(main, "known_sites") else None

    def _hit_text(self, site: SiteOverview) -> str:
        return printable(f"Go to site {site.site_name}")

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
                    highlighted(matcher, text),
                    self._jump(directory, site.site_id),
                    text=text,
                    help=markup_literal(f"{site.program_name} · {words(site.state)}"),
                )

    async def discover(self) -> Hits:
        directory = self._directory()
        if directory is None:
            return
        for site in directory.known_sites()[:50]:
            text = self._hit_text(site)
            yield DiscoveryHit(
                Content(text),
                self._jump(directory, site.site_id),
                text=text,
                help=markup_literal(site.program_name),
            )
