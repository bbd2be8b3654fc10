"""The one place that hides secrets before anything is printed, logged or shown."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MASK = "****"

# postgresql://user:secret@host/db  ->  postgresql://user:****@host/db
_URI_PASSWORD = re.compile(
    r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<at>@)"
)
# password=secret  or  password='sec ret'  (libpq keyword form and URI query parameters)
_KW_PASSWORD = re.compile(
    r"(?P<head>\b(?:password|passwd|pass|pgpassword)\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|[^\s&]+)",
    re.IGNORECASE,
)


def redact(text: str, *secrets: str | None) -> str:
    """Return ``text`` with DSN passwords and every given secret masked."""
    out = _URI_PASSWORD.sub(lambda m: m["head"] + (MASK if m["pw"] else "") + m["at"], text)
    out = _KW_PASSWORD.sub(lambda m: m["head"] + MASK, out)
    for secret in secrets:
        if secret and len(secret) >= 3:
            out = out.replace(secret, MASK)
    return out


def dsn_password(dsn: str) -> str | None:
    """The password written in a DSN, if any (so it can be masked wherever it appears)."""
    m = _URI_PASSWORD.search(dsn)
    if m and m["pw"]:
        return m["pw"]
    k = _KW_PASSWORD.search(dsn)
    if k:
        return k["pw"].strip("'")
    return None


def http_url(url: str) -> bool:
    """An ``http://`` or ``https://`` URL with a host."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def redact_url(url: str) -> str:
    """A URL as it may be shown: ``https://hc-ping.com/…``. Its path, query and user part
    are secrets (a ping URL's key, a chat webhook's token), so only scheme and host stay."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    where = f"{host}:{port}" if port is not None else host
    rest = "/…" if parts.path not in ("", "/") or parts.query or parts.fragment else ""
    return f"{parts.scheme or '?'}://{where}{rest}"
