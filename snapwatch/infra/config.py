"""Typed settings: defaults < TOML file < SNAPWATCH_* environment < command-line flags."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from snapwatch.infra.errors import ConfigError
from snapwatch.infra.redact import http_url, redact, redact_url

CONFIG_ENV = "SNAPWATCH_CONFIG"
APP_NAME = "snapwatch"


PoolerSetting = Literal["auto", "none", "session", "transaction"]
"""How the DSN reaches PostgreSQL (see :mod:`snapwatch.infra.pooler`)."""


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    pool_min_size: int = Field(1, ge=1, description="connections kept open")
    pool_max_size: int = Field(4, ge=1, description="most connections at once")
    connect_timeout_seconds: float = Field(5.0, gt=0, description="give up connecting after")
    statement_timeout_seconds: float = Field(
        60.0, gt=0, description="cancel any single statement after"
    )
    lock_timeout_seconds: float = Field(
        5.0,
        gt=0,
        description="wait at most this long for a lock another process holds (a site's "
        "write is then left busy for the next tick)",
    )
    pooler: PoolerSetting = Field(
        "auto",
        description='what the DSN connects through: "auto" (find out), "none" (PostgreSQL '
        'itself), "session" or "transaction" (a pooler in that mode)',
    )


class SchedulerSettings(_Section):
    settle_seconds: float = Field(
        120.0, ge=0, description="wait after a slot ends before writing it (late wakes)"
    )
    catch_up: Literal["all", "latest"] = Field(
        "all", description='"all": write missed slots oldest first; "latest": only the newest'
    )
    catch_up_max_slots: int = Field(48, ge=1, description="missed slots written per site per tick")
    late_grace_seconds: float = Field(
        300.0, ge=0, description="a due slot not written within this is shown as late"
    )
    tick_seconds: float = Field(60.0, gt=0, description="interval between two ticks")
    jitter_seconds: float = Field(
        2.0, ge=0, description="random delay added to each tick (spreads processes)"
    )
    run_retention_days: float = Field(
        14.0, gt=0, description="run history older than this is deleted"
    )
    batch_sites: int = Field(
        200, ge=1, description="due sites read, built and written together (bounds memory)"
    )
    max_clock_offset_seconds: float = Field(
        2.0,
        gt=0,
        description="a host clock further than this from the database's is reported in "
        "health (snapwatch uses the database's time either way)",
    )
    durable_commit: bool = Field(
        False,
        description="wait for each snapshot commit's WAL flush (off: a server crash may "
        "lose the last moments' snapshots, which the next tick writes again)",
    )


class DaemonSettings(_Section):
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="serve metrics, /livez, /readyz, /healthz on this port"
    )
    metrics_host: str = Field("127.0.0.1", min_length=1, description="address metrics bind to")
    liveness_missed_ticks: int = Field(
        3, ge=1, description="/livez fails after the event loop missed this many tick intervals"
    )


class SnapshotSettings(_Section):
    locf_max_age_hours: float = Field(
        48.0, gt=0, description="older observations are stale, not carried forward"
    )
    device_zone_radius_ft: float = Field(15.0, gt=0, description="radius of device-centred zones")
    images_per_device_max: int = Field(
        12, ge=0, description="newest images of the round listed per device; the rest counted"
    )


class PlausibilitySettings(_Section):
    """Bounds of a plausible value, in the platform's stored units. A value outside its
    bounds stays in the device's entry as stored, is named in ``data_quality`` and is
    left out of every average."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    temperature_min_f: float = Field(-40.0, description="lowest plausible temperature, °F")
    temperature_max_f: float = Field(200.0, description="highest plausible temperature, °F")
    humidity_min_percent: float = Field(0.0, description="lowest plausible humidity, % RH")
    humidity_max_percent: float = Field(100.0, description="highest plausible humidity, % RH")
    pressure_min_hpa: float = Field(300.0, description="lowest plausible pressure, hPa")
    pressure_max_hpa: float = Field(1100.0, description="highest plausible pressure, hPa")
    gas_resistance_min_ohm: float = Field(0.0, description="lowest plausible gas resistance, Ω")
    battery_min_volts: float = Field(0.0, description="lowest plausible battery voltage, V")
    battery_max_volts: float = Field(5.0, description="highest plausible battery voltage, V")
    rssi_min_dbm: float = Field(-120.0, description="lowest plausible Wi-Fi RSSI, dBm")
    rssi_max_dbm: float = Field(0.0, description="highest plausible Wi-Fi RSSI, dBm")
    position_margin_ft: float = Field(
        2.0, ge=0, description="a position further outside the site's extent is flagged"
    )

    @model_validator(mode="after")
    def _lows_below_highs(self) -> PlausibilitySettings:
        pairs = (
            ("temperature_min_f", "temperature_max_f"),
            ("humidity_min_percent", "humidity_max_percent"),
            ("pressure_min_hpa", "pressure_max_hpa"),
            ("battery_min_volts", "battery_max_volts"),
            ("rssi_min_dbm", "rssi_max_dbm"),
        )
        for low, high in pairs:
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"{low} is above {high}")
        return self


class UiSettings(_Section):
    refresh_seconds: float = Field(5.0, gt=0, description="poll interval of the live panes")
    theme: str = Field("textual-dark", min_length=1, description="Textual theme name")
    snapshots_shown: int = Field(50, ge=1, le=1000, description="rows in the recent-snapshots pane")
    sparkline_points: int = Field(
        24, ge=2, le=200, description="recent snapshots in each device's MGI sparkline"
    )
    wide_min_width: int = Field(
        100, ge=40, description="from this many columns (and wide_min_height rows) all panes show"
    )
    wide_min_height: int = Field(30, ge=10, description="rows needed to show all panes at once")
    max_poll_share: float = Field(
        0.01, gt=0, le=1, description="most of a core timed reads may use (slows big fleets)"
    )
    play_seconds: float = Field(
        0.5, gt=0, le=60, description="seconds per snapshot when the inspection timeline plays"
    )
    export_dir: Path | None = Field(
        None, description="where JSON and CSV exports are written (default: current directory)"
    )


class KeysSettings(_Section):
    """The terminal app's keys, by binding id (Textual key names; ``,`` separates keys)."""

    force: str = Field("f", min_length=1, description="force a snapshot of the selected site")
    force_all: str = Field("F", min_length=1, description="force every eligible site")
    pause: str = Field("p", min_length=1, description="pause or resume the selected site")
    pause_all: str = Field("P", min_length=1, description="pause or resume every site")
    freeze: str = Field("space", min_length=1, description="freeze or unfreeze the view")
    inspect: str = Field("enter", min_length=1, description="the selected site's latest snapshot")
    filter: str = Field("slash", min_length=1, description="filter the sites")
    sort: str = Field("s", min_length=1, description="cycle the sites' sort order")
    scope: str = Field("a", min_length=1, description="snapshots of all sites or the selected")
    refresh: str = Field("r", min_length=1, description="read everything again now")
    log: str = Field("l", min_length=1, description="the app's log")
    history: str = Field("h", min_length=1, description="the selected site's history")
    help: str = Field("question_mark", min_length=1, description="the keys")
    quit: str = Field("q", min_length=1, description="quit")
    next_pane: str = Field("tab", min_length=1, description="the next pane (or tab)")
    previous_pane: str = Field("shift+tab", min_length=1, description="the previous pane")
    pane_sites: str = Field("1", min_length=1, description="the sites pane")
    pane_snapshots: str = Field("2", min_length=1, description="the snapshots pane")
    pane_devices: str = Field("3", min_length=1, description="the devices pane")
    pane_health: str = Field("4", min_length=1, description="the job health pane")
    newest: str = Field("home", min_length=1, description="back to the newest snapshot")
    inspect_previous: str = Field("left", min_length=1, description="previous snapshot")
    inspect_next: str = Field("right", min_length=1, description="next snapshot")
    inspect_first: str = Field("home", min_length=1, description="the session's first")
    inspect_last: str = Field("end", min_length=1, description="the session's last")
    inspect_previous_session: str = Field(
        "left_square_bracket", min_length=1, description="the previous session"
    )
    inspect_next_session: str = Field(
        "right_square_bracket", min_length=1, description="the next session"
    )
    inspect_play: str = Field("space", min_length=1, description="play the timeline, or stop")
    inspect_faster: str = Field("plus", min_length=1, description="play faster")
    inspect_slower: str = Field("minus", min_length=1, description="play slower")
    inspect_zones: str = Field("z", min_length=1, description="every device zone on the map")
    inspect_diff: str = Field("d", min_length=1, description="diff with the previous snapshot")
    inspect_tree: str = Field("j", min_length=1, description="the document as a JSON tree")
    inspect_chart: str = Field("c", min_length=1, description="the device's MGI chart")
    inspect_export: str = Field("e", min_length=1, description="export the document")
    inspect_export_session: str = Field(
        "E", min_length=1, description="export the session as JSON lines"
    )
    inspect_close: str = Field("escape", min_length=1, description="back to the live screen")
    inspect_columns_left: str = Field(
        "shift+left,h", min_length=1, description="the device table a column left"
    )
    inspect_columns_right: str = Field(
        "shift+right,l", min_length=1, description="the device table a column right"
    )
    inspect_device: str = Field("i", min_length=1, description="every field of the device")
    history_wider: str = Field("plus", min_length=1, description="7 days more of history")
    history_narrower: str = Field("minus", min_length=1, description="7 days less of history")
    history_dry_run: str = Field("d", min_length=1, description="the backfill's plan, no writes")
    history_backfill: str = Field("b", min_length=1, description="backfill the range (asks)")
    history_refresh: str = Field("r", min_length=1, description="read the history again")
    history_close: str = Field("escape", min_length=1, description="back (stops a backfill)")
    runs: str = Field("R", min_length=1, description="the run history")
    runs_open: str = Field("enter", min_length=1, description="open the highlighted row")
    runs_close: str = Field("escape", min_length=1, description="back one level")
    copy_id: str = Field("y", min_length=1, description="copy the highlighted item's id")
    copy_document: str = Field("Y", min_length=1, description="copy a snapshot's document")
    export_csv: str = Field("w", min_length=1, description="the sites table as CSV")
    scale: str = Field("g", min_length=1, description="MGI scale: fixed 0-1 or fitted")
    inspect_copy_id: str = Field("y", min_length=1, description="copy the snapshot's id")
    inspect_copy_document: str = Field("Y", min_length=1, description="copy the document")
    inspect_export_csv: str = Field("w", min_length=1, description="the device table as CSV")
    activity: str = Field("A", min_length=1, description="the activity trail")
    activity_filter: str = Field("slash", min_length=1, description="filter the activity")
    activity_close: str = Field(
        "escape", min_length=1, description="clear the activity filter, or back"
    )


class DemoSettings(_Section):
    seed: int = Field(7, description="seed of the demo fleet (same seed, same fleet)")


def _http_url(url: SecretStr) -> SecretStr:
    if not http_url(url.get_secret_value()):
        raise ValueError(f"not an http(s) URL: {redact_url(url.get_secret_value())}")
    return url


HttpUrlSecret = Annotated[SecretStr, AfterValidator(_http_url)]
"""An http(s) URL that is a secret (a ping URL's key, a chat webhook's token)."""


class NotifySettings(_Section):
    """Pings and webhooks from the daemon (:mod:`snapwatch.service.alerts`); off while
    no URL is set. The URLs are secrets: never shown or logged beyond scheme and host."""

    ping_url: HttpUrlSecret | None = Field(
        None, description="dead-man's-switch ping URL (Healthchecks.io / Cronitor style)"
    )
    ping_every_seconds: float = Field(
        60.0, ge=0, description="a ping like the last one at most this often"
    )
    webhook_urls: list[HttpUrlSecret] = Field(
        default_factory=list, description="POST a JSON message here on each state change"
    )
    timeout_seconds: float = Field(5.0, gt=0, description="give up one HTTP request after")
    retries: int = Field(3, ge=0, le=20, description="retries of a failed request")
    retry_seconds: float = Field(
        2.0, gt=0, description="first retry after this, doubling (with jitter) up to 5 min"
    )
    queue_size: int = Field(100, ge=1, description="messages waiting at most (oldest dropped)")


class Settings(BaseSettings):
    """Everything snapwatch can be told. Keys match ``config.example.toml``."""

    model_config = SettingsConfigDict(
        env_prefix="SNAPWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    dsn: SecretStr | None = Field(
        None, description="PostgreSQL connection string; unset = embedded PostgreSQL"
    )
    data_dir: Path = Field(
        default_factory=default_data_dir, description="where the embedded PostgreSQL lives"
    )
    read_only: bool = Field(False, description="connect read-only (inspect, never write)")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="")
    log_format: Literal["text", "json"] = Field("text", description="daemon log lines")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    snapshot: SnapshotSettings = Field(default_factory=SnapshotSettings)
    plausibility: PlausibilitySettings = Field(default_factory=PlausibilitySettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    keys: KeysSettings = Field(default_factory=KeysSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)

    def dsn_value(self) -> str | None:
        return self.dsn.get_secret_value() if self.dsn else None


class _DictSource(PydanticBaseSettingsSource):
    """Feeds an already-parsed TOML document to pydantic-settings."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


def config_path(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Path | None:
    """The config file to read: named by flag or environment (then it must exist),
    else the user config dir's file when there is one."""
    if explicit:
        return Path(explicit).expanduser()
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    candidate = default_config_path()
    return candidate if candidate.is_file() else None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"config path is a directory, not a file: {path}") from None
    except PermissionError:
        raise ConfigError(f"config file not readable: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def load_settings(
    config: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Settings, Path | None]:
    """Build the effective settings (reading ``os.environ``) and the file they came from."""
    path = config_path(config, os.environ)
    data = read_toml(path) if path else {}
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}

    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, _DictSource(settings_cls, data))

    where = f" (file {path})" if path else ""
    try:
        return _Loaded(**flags), path
    except ValidationError as exc:
        raise ConfigError("\n".join(p + where for p in _problems(exc))) from None
    except SettingsError as exc:
        raise ConfigError(f"invalid setting: {redact(str(exc))}{where}") from None


def _problems(exc: ValidationError) -> list[str]:
    """Every problem of the settings, one line each (a line of the error each)."""
    out = []
    for err in exc.errors(include_url=False):
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        value = err.get("input")
        shown = ""
        if err["type"] != "extra_forbidden" and isinstance(value, str | int | float | bool):
            secret = "dsn" in key or key.startswith("notify.")
            shown = f" (got {redact(repr(value))})" if not secret else ""
        out.append(f"invalid configuration: {key}: {msg}{shown}")
    return out


def effective_toml(settings: Settings) -> str:
    """The effective configuration as TOML, secrets masked."""
    data = settings.model_dump(mode="python")
    dsn = settings.dsn_value()
    data["dsn"] = redact(dsn) if dsn else None
    notify = settings.notify
    data["notify"]["ping_url"] = _shown_url(notify.ping_url)
    data["notify"]["webhook_urls"] = [_shown_url(u) for u in notify.webhook_urls]
    lines: list[str] = []
    sections: list[tuple[str, dict[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            sections.append((key, value))
        else:
            lines.append(_toml_line(key, value))
    for name, body in sections:
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(_toml_line(k, v) for k, v in body.items())
    return "\n".join(lines) + "\n"


def _shown_url(url: SecretStr | None) -> str | None:
    return None if url is None else redact_url(url.get_secret_value())


def _toml_line(key: str, value: Any) -> str:
    if value is None:
        return f"# {key} = (not set)"
    return f"{key} = {_toml_value(value)}"


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def refuse_read_only(command: str, settings: Settings) -> None:
    """Refuse a command that writes when ``read_only`` is set, before anything connects.

    ``demo`` is not refused: it always writes only its own embedded database."""
    if settings.read_only:
        raise ConfigError(f"`snapwatch {command}` writes to the database; read_only is set")
