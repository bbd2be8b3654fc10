import logging

import pytest

from snapwatch.infra.logs import RedactingFilter
from snapwatch.infra.redact import MASK, dsn_password, http_url, redact, redact_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://bob:hunter2@db:5432/x", f"postgresql://bob:{MASK}@db:5432/x"),
        (
            "postgres://bob:p%40ss@db/x?sslmode=require",
            f"postgres://bob:{MASK}@db/x?sslmode=require",
        ),
        (
            "host=db user=bob password=hunter2 dbname=x",
            f"host=db user=bob password={MASK} dbname=x",
        ),
        ("host=db password='a b c' dbname=x", f"host=db password={MASK} dbname=x"),
        (
            "postgresql://db/x?user=bob&password=hunter2&sslmode=require",
            f"postgresql://db/x?user=bob&password={MASK}&sslmode=require",
        ),
        (
            "error near postgresql://bob:hunter2@db/x: refused",
            f"error near postgresql://bob:{MASK}@db/x: refused",
        ),
    ],
)
def test_redact_masks_passwords_in_every_dsn_form(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert "hunter2" not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://db:5432/x",
        "postgresql://bob@db/x",
        "plain message: 12:30 ok",
        "https://example.org/a:b",
    ],
)
def test_redact_leaves_text_without_passwords_alone(text: str) -> None:
    assert redact(text) == text


def test_redact_masks_a_known_secret_wherever_it_appears() -> None:
    assert redact("server said s3cr3t-pw is wrong", "s3cr3t-pw") == f"server said {MASK} is wrong"


def test_dsn_password_finds_uri_and_keyword_passwords() -> None:
    assert dsn_password("postgresql://bob:hunter2@db/x") == "hunter2"
    assert dsn_password("host=db password='a b'") == "a b"
    assert dsn_password("postgresql://bob@db/x") is None


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("snapwatch.test.redaction")
    logger.addFilter(RedactingFilter("topsecret"))
    with caplog.at_level(logging.INFO):
        logger.info("connecting to %s", "postgresql://bob:hunter2@db/x")
        logger.info("retrying with topsecret")
    assert "hunter2" not in caplog.text
    assert "topsecret" not in caplog.text
    assert MASK in caplog.text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hc-ping.com/5f7e0c1a-9d1b", "https://hc-ping.com/…"),
        ("https://hooks.slack.com/services/T0/B0/x", "https://hooks.slack.com/…"),
        ("http://user:pw@127.0.0.1:8080/hook?token=t", "http://127.0.0.1:8080/…"),
        ("http://[::1]:9/x", "http://[::1]:9/…"),
        ("https://ping.example.org/", "https://ping.example.org"),
    ],
)
def test_a_url_is_shown_by_scheme_and_host_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert http_url(url)


def test_only_http_urls_with_a_host_are_urls() -> None:
    assert not http_url("ftp://h/x") and not http_url("https:///x") and not http_url("h/x")
