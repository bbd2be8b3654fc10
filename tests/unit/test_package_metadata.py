"""The installed distribution's metadata (what pip, pipx and package indexes show) and the
version `snapwatch --version` prints from it."""

from __future__ import annotations

from importlib.metadata import metadata, requires, version

import pytest

from snapwatch import __version__
from snapwatch.commands.parser import build_parser


def test_the_metadata_describes_the_package() -> None:
    meta = metadata("snapwatch")
    assert meta["Name"] == "snapwatch"
    assert "snapshot" in meta["Summary"].lower()
    assert meta["Description"].startswith("# snapwatch")  # the README
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License"] or meta["License-Expression"]
    assert {"postgresql", "monitoring", "scheduler"} <= set(meta["Keywords"].split(","))
    classifiers = set(meta.get_all("Classifier") or [])
    assert {
        "Environment :: Console",
        "Intended Audience :: System Administrators",
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Topic :: System :: Monitoring",
        "Framework :: AsyncIO",
    } <= classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)


def test_the_completion_library_is_a_dependency() -> None:
    assert any(r.startswith("shtab") for r in requires("snapwatch") or [])


def test_version_prints_the_metadata_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert __version__ == version("snapwatch")
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"snapwatch {version('snapwatch')}\n"
