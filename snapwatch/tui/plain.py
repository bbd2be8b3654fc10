"""Platform text in widgets: plain text, never markup, with control characters visible.

Textual reads a ``str`` as markup in most places (``Static``, ``border_title``,
``DataTable`` cells, ``Tree`` labels, command palette entries), so a site called
``[link=file:///etc/passwd]y[/link]`` would crash the app, ``[@click=app.quit]z[/]``
would quit it when clicked and ``Cold Room [North]`` would lose its ``[North]``. Every
string from the database reaches a widget through these functions instead: as a rich
``Text`` or a Textual ``Content`` (literal text), made printable by the one rule of
:mod:`snapwatch.text.inert`. Notifications are plain text by the app itself
(:class:`snapwatch.tui.base.BaseApp`).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.content import Content

from snapwatch.text.inert import printable


def plain(text: str, style: str = "") -> Text:
    """``text`` as one line of literal text."""
    return Text(printable(text), style=style)


def plain_lines(lines: Iterable[str], style: str = "") -> Text:
    """Lines of literal text (a line break inside a line is shown escaped)."""
    return Text("\n".join(map(printable, lines)), style=style)


def literal(text: str) -> Content:
    """A border title or subtitle: literal text (a ``str`` would be read as markup)."""
    return Content(printable(text))


def markup_literal(text: str) -> str:
    """Markup that shows ``text`` as it is, for the few places that take only markup (a
    command palette entry's help). Textual's ``escape`` leaves ``[North]`` (and other
    brackets that do not look like a style) as a tag; escaping every ``[`` does not."""
    return printable(text).replace("[", "\\[")
