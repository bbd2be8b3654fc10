"""Configuration precedence and every configuration error path."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support.cli import cli

from snapwatch.infra.config import Settings, load_settings
from snapwatch.infra.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_apply_when_nothing_is_configured(isolated_env: Path) -> None:
    settings, source = load_settings()
    assert source is None
    assert settings.dsn is None
    assert settings.scheduler.late_grace_seconds == 300
    assert settings.scheduler.settle_seconds == 120
    assert settings.scheduler.catch_up_max_slots == 48
    assert settings.snapshot.locf_max_age_hours == 48
    assert settings.data_dir == isolated_env / "data" / "snapwatch"


def test_file_beats_defaults_env_beats_file_flags_beat_env(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(
        isolated_env / "c.toml",
        "[scheduler]\nlate_grace_seconds = 30\nsettle_seconds = 10\ncatch_up_max_slots = 5\n",
    )
    monkeypatch.setenv("SNAPWATCH_SCHEDULER__SETTLE_SECONDS", "20")
    monkeypatch.setenv("SNAPWATCH_SCHEDULER__CATCH_UP_MAX_SLOTS", "6")
    settings, source = load_settings(cfg, {"data_dir": str(isolated_env / "flag")})
    assert source == cfg
    assert settings.scheduler.late_grace_seconds == 30  # file over default
    assert settings.scheduler.settle_seconds == 20  # env over file
    assert settings.scheduler.catch_up_max_slots == 6
    assert settings.data_dir == isolated_env / "flag"  # flag over everything
    monkeypatch.setenv("SNAPWATCH_DSN", "postgresql://env@h/db")
    settings, _ = load_settings(cfg, {"dsn": "postgresql://flag@h/db"})
    assert settings.dsn_value() == "postgresql://flag@h/db"


def test_config_file_is_found_by_flag_then_env_then_user_config_dir(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(isolated_env / "config" / "snapwatch" / "config.toml", 'log_level = "warning"\n')
    assert load_settings()[0].log_level == "warning"
    env_file = write(isolated_env / "env.toml", 'log_level = "error"\n')
    monkeypatch.setenv("SNAPWATCH_CONFIG", str(env_file))
    assert load_settings()[0].log_level == "error"
    flag_file = write(isolated_env / "flag.toml", 'log_level = "debug"\n')
    assert load_settings(flag_file)[0].log_level == "debug"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("[scheduler]\ncatch_up_max_slots = -5\n", "scheduler.catch_up_max_slots"),
        ('[scheduler]\ncatch_up = "some"\n', "scheduler.catch_up"),
        ("[scheduler]\ntick_interval = 5\n", "scheduler.tick_interval: unknown key"),
        ("colour = 1\n", "colour: unknown key"),
        ("[scheduler\n", "not valid TOML"),
        ('log_level = "loud"\n', "log_level"),
    ],
)
def test_invalid_file_names_the_key_and_the_problem(
    isolated_env: Path, body: str, fragment: str
) -> None:
    cfg = write(isolated_env / "bad.toml", body)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


def test_invalid_environment_value_names_the_key(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNAPWATCH_SNAPSHOT__LOCF_MAX_AGE_HOURS", "forever")
    with pytest.raises(ConfigError, match=r"snapshot\.locf_max_age_hours"):
        load_settings()


def test_missing_named_config_file_is_an_error(isolated_env: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(isolated_env / "nope.toml")


def test_cli_config_error_is_one_line_exit_2_without_traceback(isolated_env: Path) -> None:
    cfg = write(isolated_env / "bad.toml", "[scheduler]\ncatch_up_max_slots = 0\n")
    result = cli("config", "--config", str(cfg))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "scheduler.catch_up_max_slots" in lines[0]
    assert "Traceback" not in result.stderr


def test_every_config_error_is_listed_one_line_each(isolated_env: Path) -> None:
    cfg = write(
        isolated_env / "bad.toml",
        'log_level = "loud"\ncolour = 1\n[scheduler]\ncatch_up_max_slots = 0\n',
    )
    result = cli("config", "--config", str(cfg))
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, result.stderr
    assert all(line.startswith("snapwatch: error: invalid configuration: ") for line in lines)
    said = "\n".join(lines)
    assert "log_level" in said and "colour: unknown key" in said
    assert "scheduler.catch_up_max_slots" in said and all(str(cfg) in line for line in lines)


def test_cli_config_prints_effective_settings_with_password_redacted(
    isolated_env: Path,
) -> None:
    cfg = write(isolated_env / "c.toml", 'dsn = "postgresql://bob:filepw@db/x"\n')
    import os

    env = dict(os.environ)
    result = cli("config", "--config", str(cfg), env=env)
    assert result.returncode == 0, result.stderr
    assert "filepw" not in result.stdout
    assert "postgresql://bob:****@db/x" in result.stdout
    parsed = tomllib.loads(result.stdout)
    assert parsed["scheduler"]["settle_seconds"] == 120
    env["SNAPWATCH_DSN"] = "host=db user=bob password=envpw"
    result = cli("config", env=env)
    assert "envpw" not in result.stdout + result.stderr
    result = cli("config", "--dsn", "postgresql://bob:flagpw@db/x", env=env)
    assert "flagpw" not in result.stdout + result.stderr


def test_example_config_documents_every_key_with_its_default(isolated_env: Path) -> None:
    example = ROOT / "config.example.toml"
    text = example.read_text()
    data = tomllib.loads(text)
    defaults = Settings().model_dump(mode="json")
    for key, value in defaults.items():
        if isinstance(value, dict):
            assert key in data, f"[{key}] missing from config.example.toml"
            for sub, default in value.items():
                if default is None:  # TOML has no null: documented as a commented line
                    assert f"# {sub} = " in text, f"{key}.{sub} missing from config.example.toml"
                    continue
                assert sub in data[key], f"{key}.{sub} missing from config.example.toml"
                assert data[key][sub] == default, f"{key}.{sub} default differs"
        else:
            assert f"{key} =" in text, f"{key} missing from config.example.toml"
    load_settings(example)  # and the example itself is valid


def test_notify_urls_are_secrets_in_config_and_in_its_errors(isolated_env: Path) -> None:
    cfg = write(
        isolated_env / "c.toml",
        '[notify]\nping_url = "https://hc-ping.com/key-1234"\n'
        'webhook_urls = ["https://hooks.slack.com/services/T0/B0/tok-5678"]\n',
    )
    result = cli("config", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    assert "key-1234" not in result.stdout and "tok-5678" not in result.stdout
    notify = tomllib.loads(result.stdout)["notify"]
    assert notify["ping_url"] == "https://hc-ping.com/…"
    assert notify["webhook_urls"] == ["https://hooks.slack.com/…"]
    bad = write(isolated_env / "bad.toml", '[notify]\nwebhook_urls = ["ftp://h/tok-5678"]\n')
    result = cli("config", "--config", str(bad))
    assert result.returncode == 2
    assert "notify.webhook_urls" in result.stderr and "tok-5678" not in result.stderr
