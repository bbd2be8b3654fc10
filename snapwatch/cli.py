"""Command line: build settings, dispatch, and turn errors into exit codes (the arguments
and their help are in :mod:`snapwatch.commands.parser`).

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
import traceback
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any, TextIO, cast

import psycopg

from snapwatch.commands.parser import build_parser, refuse_flags_that_do_not_apply
from snapwatch.infra.clock import Clock, DatabaseClock, SystemClock
from snapwatch.infra.config import Settings, effective_toml, load_settings, refuse_read_only
from snapwatch.infra.db import Target, resolve_target
from snapwatch.infra.errors import (
    EXIT_OK,
    ConfigError,
    InternalError,
    Limits,
    SnapwatchError,
    from_database,
)
from snapwatch.infra.logs import configure_logging
from snapwatch.infra.redact import dsn_password, redact
from snapwatch.schedule.activity import pid_label, set_process
from snapwatch.text.inert import InertStream, printable

Handler = Callable[[argparse.Namespace, Settings], int]


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
        refuse_flags_that_do_not_apply(args)
        if args.command == "completion":  # no settings: it only prints the parser
            return _cmd_completion(args)
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
        set_process(pid_label("daemon" if args.daemon else "cli"), logged=args.daemon)
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
    """One line on stderr per problem the error lists (after the traceback with
    ``--debug``)."""
    if debug:
        print(redact(traceback.format_exc(), *secrets), file=sys.stderr, end="")
    for line in message.splitlines() or [""]:
        print(f"snapwatch: error: {printable(redact(line, *secrets))}", file=sys.stderr)


def _install_sigterm() -> None:
    """SIGTERM ends the process like Ctrl-C does, so exit handlers run."""

    def _on_term(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, _on_term)


def _cmd_completion(args: argparse.Namespace) -> int:
    from snapwatch.commands.completion import completion_script

    print(completion_script(args.shell).rstrip("\n"))
    return EXIT_OK


def _cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    source = args.config_source
    print(f"# config file: {source if source else '(none)'}")
    print(effective_toml(settings), end="")
    return EXIT_OK


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from snapwatch.commands.migrate import check_command, owner_sql_command
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
    from snapwatch.tui.screens.inspect.app import first_snapshot, run_inspect_app

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


def _cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from snapwatch.commands.audit import audit, date_range

    if args.site is not None and args.every:
        raise ConfigError("`snapwatch audit` takes --site S or --all, not both")
    dates = date_range(args.since, args.until)
    target = resolve_target(settings)
    try:
        return asyncio.run(
            audit(
                target, settings, site=args.site, dates=dates, out=sys.stdout, as_json=args.as_json
            )
        )
    finally:
        target.release()


def _cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    from snapwatch.commands import backfill
    from snapwatch.commands.actions import require_scope
    from snapwatch.schedule.history.plan import BackfillOptions
    from snapwatch.schedule.instances import Identity

    require_scope("backfill", args.site, args.every)
    if not args.dry_run:
        refuse_read_only("backfill", settings)
    if args.rate is not None and not args.rate > 0:
        raise ConfigError(f"--rate {args.rate:g}: give a number of snapshots per second above 0")
    target = resolve_target(settings)
    try:
        if args.restore:
            return asyncio.run(
                backfill.restore_command(
                    target,
                    settings,
                    site=args.site,
                    dry_run=args.dry_run,
                    as_json=args.as_json,
                    out=sys.stdout,
                )
            )
        options = BackfillOptions(
            dates=backfill.dates_from(args.since, args.until, needed=True),
            rate=args.rate,
            replace=backfill.parse_replace(args.replace),
            include_paused=args.include_paused,
            who=Identity.current().who,
        )
        return asyncio.run(
            backfill.backfill(
                target,
                settings,
                options,
                site=args.site,
                dry_run=args.dry_run,
                as_json=args.as_json,
                out=sys.stdout,
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
    "audit": _cmd_audit,
    "backfill": _cmd_backfill,
    "force": _cmd_action,
    "pause": _cmd_action,
    "resume": _cmd_action,
}
