"""Connections to PostgreSQL and Redshift: DSNs built with the driver's own quoting, connection attempts retried
with backoff (a server restarting or a network hiccup), and a failure that stays one sentence naming the target
and the settings to check, with no credential in it."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from foundation.redaction import redact

log = logging.getLogger(__name__)
# Three tries over about 3 s by default; SUPPLYCHAIN_CONNECT_RETRIES=0 fails at once (tests, CI).
CONNECT_RETRIES = int(os.environ.get("SUPPLYCHAIN_CONNECT_RETRIES", "2"))
CONNECT_BACKOFF_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 10


class WarehouseUnreachableError(ConnectionError):
    """The warehouse server could not be reached (a ConnectionError: `run` retries the step)."""


class WarehouseLoginError(PermissionError):
    """The server refused the credentials: retrying will not help."""


def postgres_settings(environ: dict[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    return {
        "host": env.get("SUPPLYCHAIN_PG_HOST", "127.0.0.1"),
        "port": env.get("SUPPLYCHAIN_PG_PORT", "5432"),
        "user": env.get("SUPPLYCHAIN_PG_USER", "supplychain"),
        "password": env.get("SUPPLYCHAIN_PG_PASSWORD", ""),
        "dbname": env.get("SUPPLYCHAIN_PG_DATABASE", "supplychain"),
    }


def postgres_dsn(environ: dict[str, str] | None = None) -> str:
    """The connection the dbt profile's postgres target uses, quoted by libpq's rules (a password may hold spaces,
    quotes or backslashes)."""
    from psycopg.conninfo import make_conninfo

    parts = {key: value for key, value in postgres_settings(environ).items() if value != ""}
    return make_conninfo(**parts, connect_timeout=str(CONNECT_TIMEOUT_SECONDS))


def _one_sentence(failure: BaseException) -> str:
    """The driver's reason without its stack or multi-line detail, credentials masked."""
    nested = [arg for arg in failure.args if isinstance(arg, OSError)]  # redshift_connector: (text, OSError)
    if nested and nested[0].strerror:
        return redact(nested[0].strerror)
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    # libpq: 'connection failed: connection to server at "h", port p failed: <reason>' then hints on later lines.
    reason = lines[0].rsplit("failed: ", 1)[-1] if lines else type(failure).__name__
    return redact(reason.strip(" :,.") or type(failure).__name__)


def with_retries(connect: Callable, what: str, settings_hint: str, retryable: tuple[type[BaseException], ...]):
    """Calls `connect` until it succeeds or the retries are spent, then raises one clear sentence."""
    for attempt in range(CONNECT_RETRIES + 1):
        try:
            return connect()
        except retryable as failure:
            reason = _one_sentence(failure)
            if attempt < CONNECT_RETRIES and "authentication" not in reason:
                delay = CONNECT_BACKOFF_SECONDS * 2**attempt
                log.warning("cannot reach %s (%s); retrying in %.0fs", what, reason, delay)
                time.sleep(delay)
                continue
            error = WarehouseLoginError if "authentication" in reason else WarehouseUnreachableError
            raise error(
                f"cannot connect to {what} after {attempt + 1} attempt(s): {reason}; check {settings_hint}"
            ) from None
    raise AssertionError("unreachable")


def connect_postgres(dsn: str | None = None, environ: dict[str, str] | None = None):
    """A psycopg connection to the postgres target (`dsn` defaults to the one built from the environment)."""
    import psycopg

    settings = postgres_settings(environ)
    dsn = dsn or postgres_dsn(environ)
    what = (
        f"PostgreSQL at {settings['host']}:{settings['port']} (database {settings['dbname']}, user {settings['user']})"
    )
    hint = "SUPPLYCHAIN_PG_HOST, _PORT, _USER, _PASSWORD, _DATABASE and that the server is running"
    return with_retries(lambda: psycopg.connect(dsn), what, hint, (psycopg.OperationalError,))


def connect_redshift(environ: dict[str, str] | None = None):
    import redshift_connector

    env = os.environ if environ is None else environ
    host = env.get("SUPPLYCHAIN_REDSHIFT_HOST")
    if not host:
        raise ValueError("the redshift target needs SUPPLYCHAIN_REDSHIFT_HOST (and _USER, _PASSWORD or IAM settings)")
    port = int(env.get("SUPPLYCHAIN_REDSHIFT_PORT", "5439"))
    database = env.get("SUPPLYCHAIN_REDSHIFT_DATABASE", "supplychain")
    user = env.get("SUPPLYCHAIN_REDSHIFT_USER", "supplychain")
    what = f"Redshift at {host}:{port} (database {database}, user {user})"
    hint = "SUPPLYCHAIN_REDSHIFT_HOST, _PORT, _USER, _PASSWORD, _DATABASE and the cluster's network access"

    settings = {
        "host": host, "port": port, "database": database, "user": user,
        "password": env.get("SUPPLYCHAIN_REDSHIFT_PASSWORD", ""),
    }  # fmt: skip
    retryable = (redshift_connector.InterfaceError, redshift_connector.OperationalError, OSError)
    return with_retries(lambda: open_redshift(settings), what, hint, retryable)


def open_redshift(settings: dict):
    """A redshift_connector connection whose connect gives up after CONNECT_TIMEOUT_SECONDS and whose queries run as
    long as they take. The driver keeps `timeout` as the socket's timeout for the connection's whole life, so any
    read slower than it (a cold plan of the demand query) failed forecast and optimize: once connected, the socket
    waits without a limit (the driver's TCP keepalive, on by default, still notices a dead peer)."""
    import redshift_connector

    connection = redshift_connector.connect(**settings, timeout=CONNECT_TIMEOUT_SECONDS)
    socket = getattr(connection, "_usock", None)  # the driver has no public setting for it (a test guards this)
    if socket is not None:
        socket.settimeout(None)
    return connection
