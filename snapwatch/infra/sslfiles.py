"""TLS files named for libpq, checked before connecting.

libpq reports a missing ``sslrootcert`` as a connection failure, which reads like an
outage (exit 3) and would be waited out by a daemon; it is configuration (exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from snapwatch.infra.errors import ConfigError

# Keyword in a DSN, and the environment variable libpq reads when the DSN has none.
SSL_FILES = {
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
}
SYSTEM_ROOTS = "system"
"""``sslrootcert=system``: the operating system's trusted roots (libpq 16+), no file."""


def check_ssl_files(params: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> None:
    """Raise :class:`ConfigError` for a TLS file named in the DSN's ``params`` (or the
    environment) that does not exist or cannot be read; nothing when TLS is disabled."""
    if params.get("sslmode") == "disable":
        return
    for key, variable in SSL_FILES.items():
        named = params.get(key)
        value, where = (str(named), "the DSN") if named else (environ.get(variable), variable)
        if not value or (key == "sslrootcert" and value == SYSTEM_ROOTS):
            continue
        path = Path(value)
        try:
            with path.open("rb"):
                pass
        except FileNotFoundError:
            raise ConfigError(f"{key} file {value} (named by {where}) does not exist") from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ConfigError(
                f"{key} file {value} (named by {where}) cannot be read: {reason}"
            ) from None
