"""Shell completion scripts, generated from the command line's own parser by shtab: a
new command or flag completes as soon as the parser has it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import shtab

from snapwatch.commands.parser import build_parser


def completion_script(shell: str) -> str:
    """The completion script for ``shell`` (``bash`` or ``zsh``): the commands with
    their one-line help, every flag, the choices of those that have them, files after
    ``--config PATH`` and directories after ``--data-dir DIR``."""
    parser = build_parser()
    paths = {"PATH": shtab.FILE, "DIR": shtab.DIRECTORY}
    for each in _parsers(parser):
        for action in each._actions:
            if isinstance(action.metavar, str) and action.metavar in paths:
                action.complete = paths[action.metavar]  # type: ignore[attr-defined]
        for sub in _commands(each):
            # zsh's menu shows the first line of a command's description: its one-line help.
            for choice in sub._choices_actions:
                sub.choices[choice.dest].description = choice.help
    return str(shtab.complete(parser, shell=shell))


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for sub in _commands(parser):
        for each in sub.choices.values():
            yield from _parsers(each)


def _commands(
    parser: argparse.ArgumentParser,
) -> Iterator[argparse._SubParsersAction[argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield action
