"""Command line: parse, build settings, dispatch, and turn errors into exit codes.

Exit codes: 0 ok, 1 some site failed, 2 bad usage or configuration (also a role that
lacks the rights snapwatch needs), 3 database unreachable, authentication refused, the
database read-only, a statement timed out, or a lock held past lock_timeout (``run-once``:
sites left busy by one), 4 internal error (also the app stopped by one), 130 interrupted.

Everything a command writes to stdout and stderr, its log lines included, passes through
:class:`snapwatch.text.inert.InertStream`: platform text never drives the terminal, whether
or not it is one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any, TextIO, cast

import psycopg

from snapwatch import __version__
from snapwatch.infra.clock import Clock, DatabaseClock, SystemClock
from snapwatch.infra.config import Settings, effective_toml, load_settings, refuse_read_only
from snapwatch.infra.db import Target, resolve_target
from snapwatch.infra.errors import (
    EXIT_OK,
    InternalError,
    Limits,
    SnapwatchError,
    from_database,
)
from snapwatch.infra.logs import configure_logging
from snapwatch.infra.redact import dsn_password, redact
from snapwatch.text.inert import InertStream, printable

Handler = Callable[[argparse.Namespace, Settings], int]


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
    group.add_argument("--metrics-port", type=_port, metavar="N", help="serve /metrics, /healthz")
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
}


def _describe(sub: Any) -> None:
    for name, parser in sub.choices.items():
        if name in COMMAND_HELP:
            description, example = COMMAND_HELP[name]
            parser.description = textwrap.fill(description, width=78)
            parser.epilog = f"example:\n  {example}"
            parser.formatter_class = argparse.RawDescriptionHelpFormatter


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snapwatch",
        description="Site snapshots on each site's cadence, and a live view of them.",
        epilog="Exit codes: 0 ok, 1 a site failed, 2 bad usage or configuration (or a role "
        "without the rights snapwatch needs), 3 database unreachable or read-only, a "
        "statement timed out or a lock held past lock_timeout, 4 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"snapwatch {__version__}")
    _common_options(parser, suppress=False)
    _daemon_options(parser)
    parser.add_argument(
        "--no-scheduler", action="store_true", help="the app only watches (no embedded scheduler)"
    )
    common = argparse.ArgumentParser(add_help=False)
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
    _add_status_and_actions(sub, common)
    _describe(sub)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    with _inert_output():
        return _main(argv)


@contextlib.contextmanager
def _inert_output() -> Iterator[None]:
    """stdout and stderr through :class:`InertStream` until the command ends."""
    saved = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, InertStream(saved[0]))
    sys.stderr = cast(TextIO, InertStream(saved[1]))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    secrets: list[str] = [p for p in [dsn_password(args.dsn or "")] if p]
    limits: Limits | None = None  # the timeouts a database error's line names
    try:
        settings, source = load_settings(
            args.config,
            {
                "dsn": args.dsn,
                "data_dir": args.data_dir,
                "read_only": args.read_only or None,
                "log_format": args.log_format,
            },
        )
        secrets += [p for p in [dsn_password(settings.dsn_value() or "")] if p]
        limits = settings.database
        configure_logging("debug" if debug else settings.log_level, settings.log_format, *secrets)
        _install_sigterm()
        handler = _cmd_daemon if args.daemon else HANDLERS.get(args.command or "app", _run_app)
        args.config_source = source
        return handler(args, settings)
    except SnapwatchError as exc:
        _fail(str(exc), debug, secrets)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: still one line unless --debug
        known = from_database(exc, limits=limits) if isinstance(exc, psycopg.Error) else None
        if known is not None:  # rights, read-only, a timeout, the server gone mid-command
            _fail(str(known), debug, secrets)
            return known.exit_code
        bug = InternalError.of(exc, "rerun with --debug")
        _fail(str(bug), debug, secrets)
        return bug.exit_code


def _fail(message: str, debug: bool, secrets: list[str]) -> None:
    """One line on stderr (after the traceback with ``--debug``)."""
    if debug:
        print(redact(traceback.format_exc(), *secrets), file=sys.stderr, end="")
    print(f"snapwatch: error: {printable(redact(message, *secrets))}", file=sys.stderr)


def _install_sigterm() -> None:
    """SIGTERM ends the process like Ctrl-C does, so exit handlers run."""

    def _on_term(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, _on_term)


def _cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    source = args.config_source
    print(f"# config file: {source if source else '(none)'}")
    print(effective_toml(settings), end="")
    return EXIT_OK


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from snapwatch.commands.migrate import check_command, owner_sql_command
    from snapwatch.infra.errors import ConfigError
    from snapwatch.infra.migrations import migrate

    if (args.writer or args.reader) and not args.print_owner_sql:
        raise ConfigError("--writer and --reader go with --print-owner-sql")
    if not (args.check or args.print_owner_sql):
        refuse_read_only("migrate", settings)
    target = resolve_target(settings)
    where = target.display
    try:
        if args.check:
            return asyncio.run(check_command(target, settings, sys.stdout))
        if args.print_owner_sql:
            return asyncio.run(
                owner_sql_command(
                    target, settings, sys.stdout, writer=args.writer, reader=args.reader
                )
            )
        plan = asyncio.run(migrate(target, settings))
    finally:
        target.release()
    print(f"{where}: applied {len(plan.steps)} step(s)")
    print(plan.render())
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from snapwatch.demo.launch import open_demo

    seed = args.seed if args.seed is not None else settings.demo.seed
    if not args.no_ui:
        _check_keys(settings)
    target, result = open_demo(settings, seed=seed, reset=args.reset, clock=SystemClock())
    try:
        print(result.summary())
        if args.no_ui:
            return EXIT_OK
        from snapwatch.tui.demo_glue import prepare_demo

        wall = DatabaseClock()
        run = prepare_demo(target, settings, seed=seed, speed=args.demo_speed, wall=wall)
        return _launch_tui(
            target,
            settings,
            title="snapwatch demo",
            clock=run.clock,
            wall=wall,
            scheduler=not (args.demo_no_scheduler or args.no_scheduler),
            jobs=[] if settings.read_only else run.jobs,  # --read-only: the demo only watches
            tick_seconds=run.timing.tick_seconds,
        )
    finally:
        target.release()


def _cmd_run_once(args: argparse.Namespace, settings: Settings) -> int:
    from snapwatch.commands.run_once import run_once
    from snapwatch.commands.timearg import parse_instant

    refuse_read_only("run-once", settings)
    at = parse_instant(args.at) if args.at else None
    target = resolve_target(settings)
    try:
        return asyncio.run(
            run_once(
                target,
                settings,
                at,
                args.site,
                sys.stdout,
                as_json=args.as_json,
                allow_future=args.allow_future,
                err=sys.stderr,
            )
        )
    finally:
        target.release()


def _cmd_inspect(args: argparse.Namespace, settings: Settings) -> int:
    from snapwatch.commands.inspect import check_selection, inspect

    check_selection(
        args.snapshot,
        args.site,
        args.wake,
        args.latest,
        diff=args.diff,
        all_devices=args.all_devices,
    )
    if args.tui and (args.as_json or args.diff):
        raise SnapwatchError("--tui opens the screen: drop --json and --diff (d diffs there)")
    if args.tui:
        _check_keys(settings)
    target = resolve_target(settings)
    try:
        if args.tui:
            return _inspect_tui(args, settings, target)
        return asyncio.run(
            inspect(
                target,
                settings,
                snapshot=args.snapshot,
                site=args.site,
                wake=args.wake,
                latest=args.latest,
                as_json=args.as_json,
                diff=args.diff,
                all_devices=args.all_devices,
                out=sys.stdout,
            )
        )
    finally:
        target.release()


def _inspect_tui(args: argparse.Namespace, settings: Settings, target: Target) -> int:
    from snapwatch.tui.inspect_app import first_snapshot, run_inspect_app

    first = asyncio.run(
        first_snapshot(
            target,
            settings,
            snapshot=args.snapshot,
            site=args.site,
            wake=args.wake,
        )
    )
    return run_inspect_app(target, settings, first)


def _cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from snapwatch.commands.status import status

    target = resolve_target(settings)
    try:
        return asyncio.run(
            status(
                target,
                settings,
                None,
                site=args.site,
                as_json=args.as_json,
                out=sys.stdout,
                err=sys.stderr,
            )
        )
    finally:
        target.release()


def _cmd_action(args: argparse.Namespace, settings: Settings) -> int:
    """force, pause and resume: scope and read-only checked before anything connects."""
    from snapwatch.commands import actions
    from snapwatch.text.durations import parse_duration

    actions.require_scope(args.command, args.site, args.every)
    refuse_read_only(args.command, settings)
    duration = parse_duration(args.duration) if getattr(args, "duration", None) else None
    now = None  # the schedulers' clock, read once connected
    target = resolve_target(settings)
    try:
        if args.command == "force":
            run = actions.force_command(
                target, settings, now, site=args.site, out=sys.stdout, err=sys.stderr
            )
        elif args.command == "pause":
            run = actions.pause_command(
                target,
                settings,
                now,
                site=args.site,
                reason=args.reason,
                duration=duration,
                out=sys.stdout,
            )
        else:
            run = actions.resume_command(target, settings, now, site=args.site, out=sys.stdout)
        return asyncio.run(run)
    finally:
        target.release()


def _cmd_daemon(args: argparse.Namespace, settings: Settings) -> int:
    """``--daemon``: the scheduler without the app; usage checked before anything starts
    (read_only by ``run_daemon``)."""
    from snapwatch.commands.timearg import parse_instant
    from snapwatch.infra.errors import ConfigError
    from snapwatch.service.daemon import DaemonOptions, run_daemon

    if args.command is not None:
        raise ConfigError(f"--daemon runs alone, without a command (got {args.command!r})")
    options = DaemonOptions(
        tick_seconds=args.tick_seconds,
        metrics_port=args.metrics_port,
        metrics_host=args.metrics_host,
        speed=args.speed,
        clock_name=args.clock_name,
        clock_start=parse_instant(args.clock_start) if args.clock_start else None,
    )
    return run_daemon(settings, options)


def _check_keys(settings: Settings) -> None:
    """The app's ``[keys]`` before anything starts (one line, exit 2)."""
    from snapwatch.tui.keymap import check_keys

    check_keys(settings.keys)


def _run_app(args: argparse.Namespace, settings: Settings) -> int:
    _check_keys(settings)
    target = resolve_target(settings)
    try:
        return _launch_tui(target, settings, title="snapwatch", scheduler=not args.no_scheduler)
    finally:
        target.release()


def _launch_tui(
    target: Target,
    settings: Settings,
    *,
    title: str,
    clock: Clock | None = None,
    wall: Clock | None = None,
    scheduler: bool = True,
    jobs: Sequence[Any] = (),
    tick_seconds: float | None = None,
) -> int:
    """The app until it quits: with the embedded scheduler unless ``scheduler`` is False
    or the settings are read-only (then it only watches)."""
    from snapwatch.tui.app import run_app

    wall = wall or DatabaseClock()
    return run_app(
        target,
        settings,
        clock or wall,
        title=title,
        scheduler=scheduler,
        wall=wall,
        jobs=jobs,
        tick_seconds=tick_seconds,
    )


HANDLERS: dict[str, Handler] = {
    "config": _cmd_config,
    "migrate": _cmd_migrate,
    "demo": _cmd_demo,
    "run-once": _cmd_run_once,
    "inspect": _cmd_inspect,
    "status": _cmd_status,
    "force": _cmd_action,
    "pause": _cmd_action,
    "resume": _cmd_action,
}
