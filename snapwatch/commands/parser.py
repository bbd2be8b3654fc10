"""The command line's arguments: the options every command shares, each command's own,
and the help that says what each does with an example."""

from __future__ import annotations

import argparse
import difflib
import re
import textwrap
from typing import Any, NoReturn

from snapwatch import __version__
from snapwatch.infra.errors import EXIT_USAGE, ConfigError


def _common_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default, help="TOML settings file")
    parser.add_argument("--dsn", default=default, help="PostgreSQL connection string")
    parser.add_argument("--data-dir", metavar="DIR", default=default, help="embedded server dir")
    parser.add_argument(
        "--read-only", action="store_true", default=default, help="connect read-only"
    )
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks and debug logs"
    )
    parser.add_argument(
        "--log-format", choices=("text", "json"), default=default, help="log lines (log_format)"
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (1-65535): {text!r}")
    return int(text)


def _daemon_options(parser: argparse.ArgumentParser) -> None:
    """``--daemon`` and what it takes (see ``snapwatch.service.daemon``)."""
    group = parser.add_argument_group("daemon")
    group.add_argument("--daemon", action="store_true", help="run the scheduler headless")
    group.add_argument(
        "--metrics-port", type=_port, metavar="N", help="serve /metrics, /livez, /readyz"
    )
    group.add_argument("--metrics-host", metavar="H", help="metrics address (127.0.0.1)")
    group.add_argument(
        "--tick-seconds", type=_positive_float, metavar="S", help="interval between ticks"
    )
    group.add_argument(
        "--speed", type=_positive_float, metavar="X", help="shared accelerated clock, X times"
    )
    group.add_argument(
        "--clock-name", default="default", metavar="NAME", help="which shared clock (default)"
    )
    group.add_argument(
        "--clock-start", metavar="ISO", help="where a new shared clock starts (default now)"
    )


# What each command does and how it is typically called, for `snapwatch COMMAND --help`.
COMMAND_HELP: dict[str, tuple[str, str]] = {
    "demo": (
        "Start the embedded PostgreSQL, seed the demo fleet and open the app with a device "
        "simulator and the scheduler on an accelerated clock.",
        "snapwatch demo --speed 240",
    ),
    "migrate": (
        "Create or upgrade the schema: the platform tables on an empty database, only "
        "snapwatch's own schema, missing columns and indexes on a platform database. "
        "--check changes nothing, exits 1 when changes are pending, and says what the "
        "connected role can do; --print-owner-sql prints the SQL the tables' owner runs "
        "once (pending steps, and the GRANTs of --writer and --reader roles).",
        "snapwatch migrate --print-owner-sql --writer snapwatch --reader snapwatch_ro",
    ),
    "config": (
        "Print the effective configuration (defaults, file, environment, flags), passwords masked.",
        "SNAPWATCH_SCHEDULER__SETTLE_SECONDS=60 snapwatch config",
    ),
    "run-once": (
        "Run one tick: write every slot that is due now (or as of --at) and print what "
        "happened to each site. Exits 1 when a site failed, 3 when a lock held past "
        "lock_timeout left sites busy (the next run writes them).",
        'snapwatch run-once --site "Pier 4 Cold Room" --at 2026-06-10T12:05:00Z --json',
    ),
    "inspect": (
        "Show one stored snapshot: a summary with its devices, its JSON (--json) or what "
        "changed since the previous snapshot of its session (--diff: the changed devices, "
        "every device with --all).",
        'snapwatch inspect --site "pier 4 cold room" --wake 12 --diff --all   '
        "(--tui: the same snapshot on the inspection screen)",
    ),
    "status": (
        "Every site's health with the slot it waits for, every scheduler instance, active "
        "pauses, pg_cron jobs and the other writers of snapshots, each with the chain of "
        "calls that shows it writes them (a loud warning when a pg_cron job does while "
        "snapwatch schedules).",
        "snapwatch status --json",
    ),
    "audit": (
        "For every session dated in the range (site-local dates; default the last 30 "
        "days): the slots it should have by the site's cadence against the rows stored, and "
        "each problem: missing, other shape, invalid v1, off-grid windows, overlapping "
        "windows, provisional rows left over, wake-number gaps. Exits 1 when anything is "
        "missing or broken.",
        "snapwatch audit --all --since 2026-11-01 --json",
    ),
    "backfill": (
        "Write every missing slot of the sessions in the range, oldest first, through the "
        "scheduler's own writer (safe beside running daemons), labelled trigger backfill. "
        "Rows of another shape, invalid and off-grid rows stay unless --replace names their "
        "kind; replaced rows are kept aside and --restore puts them back. Ctrl-C finishes "
        "the site-day in hand.",
        'snapwatch backfill --site "Pier 4" --since 2026-11-01 --rate 50 --dry-run',
    ),
    "force": (
        "Write the current, incomplete slot now as a provisional snapshot; the regular run "
        "replaces it when the slot completes.",
        'snapwatch force --site "Pier 4 Cold Room"',
    ),
    "pause": (
        "Pause snapshots of one site or of every site, with a reason and an optional "
        "expiry; every scheduler sees it within one tick.",
        'snapwatch pause --all --reason "sensor maintenance" --for 2h',
    ),
    "resume": (
        "End the pauses of one site or of every site; slots that ended while paused are "
        "never caught up.",
        "snapwatch resume --all",
    ),
    "completion": (
        "Print the shell completion script for bash or zsh, generated from these very "
        "commands and flags. Install it where the shell looks for completions: bash's "
        "~/.local/share/bash-completion/completions/snapwatch, or a file _snapwatch in a "
        "directory on zsh's fpath.",
        "snapwatch completion bash > ~/.local/share/bash-completion/completions/snapwatch",
    ),
}


def _describe(sub: Any) -> None:
    for name, parser in sub.choices.items():
        if name in COMMAND_HELP:
            description, example = COMMAND_HELP[name]
            parser.description = textwrap.fill(description, width=78)
            parser.epilog = f"example:\n  {example}"
            parser.formatter_class = argparse.RawDescriptionHelpFormatter


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (``snapwatch: error: ...``) and exit 2; an
    unknown command names the closest ones. ``--help`` still shows the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog.split()[0]}: error: {_said(message)}\n")


def _said(message: str) -> str:
    """argparse's message, shorter: an unknown command with the closest known ones."""
    found = re.match(r"argument COMMAND: invalid choice: '(.*)' \(choose from (.*)\)", message)
    if found is None:
        return message
    known = re.findall(r"'([^']*)'", found.group(2))
    close = difflib.get_close_matches(found.group(1), known, n=2, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"unknown command {found.group(1)!r}{hint} (snapwatch --help lists them)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="snapwatch",
        description="Site snapshots on each site's cadence, and a live view of them.",
        epilog="Exit codes: 0 ok, 1 a site failed, 2 bad usage or configuration (or a role "
        "without the rights snapwatch needs), 3 database unreachable or read-only, a "
        "statement timed out or a lock held past lock_timeout, 4 internal error.",
    )
    # Prints and exits at once, whatever else the line holds (`snapwatch --daemon --version`).
    parser.add_argument(
        "--version",
        action="version",
        version=f"snapwatch {__version__}",
        help="print snapwatch's version and exit",
    )
    _common_options(parser, suppress=False)
    _daemon_options(parser)
    parser.add_argument(
        "--no-scheduler", action="store_true", help="the app only watches (no embedded scheduler)"
    )
    common = OneLineParser(add_help=False)
    _common_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo", parents=[common], help="seed a demo fleet in the embedded PostgreSQL and open it"
    )
    demo.add_argument("--reset", action="store_true", help="delete the demo fleet and seed again")
    demo.add_argument("--seed", type=int, help="fleet seed (default from settings)")
    demo.add_argument("--no-ui", action="store_true", help="seed only, do not open the app")
    demo.add_argument(
        "--speed",
        dest="demo_speed",
        type=_positive_float,
        metavar="X",
        help="simulated seconds per second on the shared demo clock (default 120)",
    )
    demo.add_argument(
        "--no-scheduler",
        dest="demo_no_scheduler",
        action="store_true",
        help="watch only: no embedded scheduler",
    )

    migrate = sub.add_parser("migrate", parents=[common], help="create or upgrade the schema")
    what = migrate.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="print the plan, change nothing")
    what.add_argument(
        "--print-owner-sql",
        action="store_true",
        help="print the SQL the tables' owner runs once (pending steps, GRANTs), change nothing",
    )
    migrate.add_argument(
        "--writer", metavar="ROLE", help="with --print-owner-sql: the daemon's role"
    )
    migrate.add_argument(
        "--reader", metavar="ROLE", help="with --print-owner-sql: a read-only role (status, app)"
    )

    sub.add_parser("config", parents=[common], help="print the effective configuration")

    once = sub.add_parser(
        "run-once", parents=[common], help="write what is due now (or as of --at), per site"
    )
    once.add_argument("--site", metavar="S", help="only this site (id, name or site_code)")
    once.add_argument("--at", metavar="TIME", help="judge due-ness as of this ISO 8601 instant")
    once.add_argument(
        "--allow-future",
        action="store_true",
        help="accept an --at later than the database's now (rehearsals on your own data)",
    )
    once.add_argument("--json", dest="as_json", action="store_true", help="print the run as JSON")

    insp = sub.add_parser(
        "inspect", parents=[common], help="show one snapshot, its JSON, or its diff"
    )
    insp.add_argument("snapshot", nargs="?", metavar="SNAPSHOT", help="snapshot id (UUID)")
    insp.add_argument("--site", metavar="S", help="a site's snapshot (id, name or site_code)")
    which = insp.add_mutually_exclusive_group()
    which.add_argument("--wake", type=int, metavar="N", help="wake N of the site's session")
    which.add_argument("--latest", action="store_true", help="the site's newest (default)")
    insp.add_argument("--json", dest="as_json", action="store_true", help="the stored JSON")
    insp.add_argument("--diff", action="store_true", help="against the previous snapshot")
    insp.add_argument(
        "--all",
        dest="all_devices",
        action="store_true",
        help="with --diff: every device, not only the changed ones",
    )
    insp.add_argument(
        "--tui",
        action="store_true",
        help="open it in the inspection screen (map, timeline, diff, tree, chart)",
    )
    _add_history(sub, common)
    _add_status_and_actions(sub, common)
    completion = sub.add_parser("completion", help="print the shell completion script")
    completion.add_argument("shell", choices=("bash", "zsh"), help="for this shell")
    _describe(sub)
    return parser


def _add_history(sub: Any, common: argparse.ArgumentParser) -> None:
    """``audit`` and ``backfill``: past sessions by site-local date."""
    audit = sub.add_parser(
        "audit", parents=[common], help="missing and broken snapshots of past sessions"
    )
    backfill = sub.add_parser(
        "backfill", parents=[common], help="write the missing snapshots of past sessions"
    )
    for p in (audit, backfill):
        p.add_argument("--site", metavar="S", help="this site (id, name or site_code)")
        p.add_argument("--all", dest="every", action="store_true", help="every site")
        p.add_argument("--since", metavar="DATE", help="first site-local session date")
        p.add_argument("--until", metavar="DATE", help="last site-local session date (today)")
        p.add_argument("--json", dest="as_json", action="store_true", help="JSON output")
    backfill.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    backfill.add_argument("--rate", type=float, metavar="N", help="at most N snapshots per second")
    backfill.add_argument(
        "--replace",
        metavar="KINDS",
        help="also replace rows of these kinds (other-shape,invalid,off-grid), kept aside",
    )
    backfill.add_argument(
        "--include-paused", action="store_true", help="also sites paused in snapwatch"
    )
    backfill.add_argument(
        "--restore", action="store_true", help="put back the rows a backfill replaced"
    )


def _add_status_and_actions(sub: Any, common: argparse.ArgumentParser) -> None:
    """``status`` and the operator's actions; the scope rule is checked by the handlers
    (one line, exit 2) rather than by argparse."""
    status = sub.add_parser(
        "status", parents=[common], help="sites, due times, schedulers, pauses and pg_cron"
    )
    status.add_argument("--json", dest="as_json", action="store_true", help="one JSON object")
    status.add_argument("--site", metavar="S", help="only this site (id, name or site_code)")
    helps = {
        "force": "write the current slot now, as a provisional snapshot",
        "pause": "pause snapshots of a site or of every site",
        "resume": "resume snapshots of a site or of every site",
    }
    for name, text in helps.items():
        action = sub.add_parser(name, parents=[common], help=text)
        action.add_argument("--site", metavar="S", help="this site (id, name or site_code)")
        action.add_argument("--all", dest="every", action="store_true", help="every site")
        if name == "pause":
            action.add_argument("--reason", metavar="R", help="why (shown to everyone)")
            action.add_argument(
                "--for", dest="duration", metavar="DURATION", help="expire after 2h, 90m, 1d..."
            )


DAEMON_ONLY = {
    "metrics_port": "--metrics-port",
    "metrics_host": "--metrics-host",
    "tick_seconds": "--tick-seconds",
    "speed": "--speed",
    "clock_start": "--clock-start",
}


COMMON_OPTIONS = {
    "config": "--config",
    "dsn": "--dsn",
    "data_dir": "--data-dir",
    "read_only": "--read-only",
    "log_format": "--log-format",
}
"""What ``snapwatch completion`` would ignore (``--debug`` still shows a traceback)."""


def refuse_flags_that_do_not_apply(args: argparse.Namespace) -> None:
    """A flag the command would ignore is refused (one line, exit 2), never ignored."""
    command = getattr(args, "command", None)
    if args.daemon and command is not None:
        raise ConfigError(f"--daemon takes no command (got `{command}`)")
    if not args.daemon:
        given = [flag for name, flag in DAEMON_ONLY.items() if getattr(args, name) is not None]
        if args.clock_name != "default":
            given.append("--clock-name")
        if given:
            where = f"`snapwatch {command}`" if command else "the app"
            raise ConfigError(f"{', '.join(given)} applies to --daemon only, not to {where}")
    if args.no_scheduler and command not in (None, "demo"):
        raise ConfigError(f"--no-scheduler applies to the app and the demo, not to `{command}`")
    if command == "completion":
        given = [flag for name, flag in COMMON_OPTIONS.items() if getattr(args, name) is not None]
        if given:
            raise ConfigError(f"`snapwatch completion` takes no {', '.join(given)}")
    if command == "demo" and args.dsn is not None:
        raise ConfigError(
            "the demo always runs on the embedded server: --dsn does not apply"
            " (`snapwatch --dsn DSN` opens the app on a database)"
        )
