"""Credentials never leave the process: every message, log line and run record passes through `redact`.

The values to hide are read from the environment variables that carry credentials (the DSN is built with the
driver's quoting, so a password is never split into fragments; a fragment of a secret, should one appear, is
hidden too: any run of 4+ characters of a secret's own words).
"""

from __future__ import annotations

import json
import logging
import os
import re

SECRET_VARIABLES = (
    "SUPPLYCHAIN_PG_PASSWORD",
    "SUPPLYCHAIN_REDSHIFT_PASSWORD",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "PGPASSWORD",
)
MASK = "***"


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """The secrets to hide, longest first, with each word of a multi-word secret (a DSN parser may split it)."""
    env = os.environ if environ is None else environ
    values: set[str] = set()
    for name in SECRET_VARIABLES:
        value = env.get(name, "")
        if len(value) >= 4:
            values.add(value)
            values.update(word for word in re.split(r"\s+", value) if len(word) >= 4)
    values.update([json.dumps(v)[1:-1] for v in values])  # as it reads inside a JSON document (run.json)
    return sorted(values, key=len, reverse=True)


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    for value in secret_values(environ):
        text = text.replace(value, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with the secrets masked (installed on the CLI's log handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_log_redaction() -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
