"""DSNs quoted by the driver, connection failures as one sentence (against a real closed port), credentials masked
in messages and run records, and a run whose step raises anything at all ending "failed" with the error."""

from __future__ import annotations

import io
import json
import socket
import time
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from foundation.redaction import redact
from foundation.warehouse import connections
from foundation.warehouse.connections import WarehouseUnreachableError, connect_postgres, postgres_dsn
from orchestration.local_runner import Actions, run_pipeline
from orchestration.pipeline import select_steps
from orchestration.run_records import RunRecord, new_record
from orchestration.step_actions import RunContext
from tests.faults.slow_redshift import SlowServer

SECRET = "Secret123 with 'quotes' and \\ spaces"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_dsn_carries_a_password_with_spaces_and_quotes_intact():
    parsed = conninfo_to_dict(postgres_dsn({"SUPPLYCHAIN_PG_PASSWORD": SECRET, "SUPPLYCHAIN_PG_USER": "o'neil"}))
    assert parsed["password"] == SECRET and parsed["user"] == "o'neil"


def test_an_unreachable_server_is_retried_then_named_in_one_sentence(monkeypatch):
    monkeypatch.setattr(connections, "CONNECT_RETRIES", 1)
    monkeypatch.setattr(connections, "CONNECT_BACKOFF_SECONDS", 0.01)
    port = closed_port()
    env = {"SUPPLYCHAIN_PG_PORT": str(port), "SUPPLYCHAIN_PG_PASSWORD": SECRET}
    with pytest.raises(WarehouseUnreachableError) as failure:
        connect_postgres(environ=env)
    message = str(failure.value)
    assert message.startswith(f"cannot connect to PostgreSQL at 127.0.0.1:{port}")
    assert "after 2 attempt(s)" in message and "SUPPLYCHAIN_PG_HOST" in message
    assert "\n" not in message and "Secret123" not in message


def test_secrets_and_their_words_are_masked(monkeypatch):
    monkeypatch.setenv("SUPPLYCHAIN_PG_PASSWORD", SECRET)
    text = f'dsn password={SECRET}; psycopg: missing "=" after "Secret123"; json {json.dumps(SECRET)}'
    cleaned = redact(text)
    assert "Secret123" not in cleaned and "spaces" not in cleaned and "***" in cleaned


class Exploding:
    """A step that fails with an exception no one anticipated (like duckdb.IOException replaying a WAL)."""

    def __init__(self, failure: BaseException):
        self.failure = failure

    def step(self, step, context):
        raise self.failure

    def ingest(self, steps, context):
        raise self.failure


def test_an_unexpected_failure_ends_the_run_failed_with_its_message(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPLYCHAIN_PG_PASSWORD", SECRET)
    steps = select_steps("local", only=["load"])
    record = new_record(tmp_path, "r1", "local", [s.name for s in steps], None)
    failure = KeyError(f"IO Error: cannot replay WAL of a build made with password {SECRET}")
    actions = Actions(ingest=Exploding(failure).ingest, step=Exploding(failure).step)
    context = RunContext(None, None, tmp_path)
    printed = io.StringIO()
    assert run_pipeline(context, steps, record, actions, out=printed) == 1
    saved = RunRecord.load(tmp_path / "r1" / "run.json")
    assert saved.status == "failed" and saved.failed_step == "load"
    assert saved.steps[0].error.startswith("KeyError: ")
    assert "Secret123" not in Path(tmp_path / "r1" / "run.json").read_text()
    assert "Secret123" not in printed.getvalue() and "KeyError" in printed.getvalue()


def test_a_redshift_query_may_outlive_the_connect_timeout(monkeypatch):
    """redshift_connector keeps its `timeout` as the socket timeout for the whole connection: every Redshift query
    slower than the 10 s connect timeout died. Here the timeout is 1 s and the query takes 2 s, through the same
    connection settings on a server speaking Redshift's wire protocol (without TLS)."""
    monkeypatch.setattr(connections, "CONNECT_TIMEOUT_SECONDS", 1)
    server = SlowServer(delay=2)
    try:
        settings = {"host": "127.0.0.1", "port": server.port, "database": "d", "user": "u", "password": ""}
        settings["ssl"] = False
        connection = connections.open_redshift(settings)
        started = time.monotonic()
        connection.cursor().execute("select pg_sleep(2)")
        assert time.monotonic() - started >= 2
        connection.close()
    finally:
        server.close()


def test_a_redshift_connect_still_gives_up_after_the_timeout(monkeypatch):
    monkeypatch.setattr(connections, "CONNECT_TIMEOUT_SECONDS", 1)
    with socket.socket() as silent:  # accepts the TCP connection, never answers the start-up
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = {"host": "127.0.0.1", "port": silent.getsockname()[1], "database": "d", "user": "u",
                    "password": "", "ssl": False}  # fmt: skip
        started = time.monotonic()
        with pytest.raises(OSError):  # the driver's timeout (TimeoutError) or its OperationalError wrapping one
            connections.open_redshift(settings)
        assert time.monotonic() - started < 5
