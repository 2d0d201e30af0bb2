"""A moto server on a free loopback port for the whole session, with Step Functions executions switched on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    port = _free_port()
    # moto's Step Functions executor calls the other services through this same server: it needs the port.
    env = {**os.environ, "MOTO_PORT": str(port)}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("moto_server did not start within 30 s")
            time.sleep(0.2)
    _moto_api(endpoint, "config", {"stepfunctions": {"execute_state_machine": True}})
    # A crawl stays RUNNING until something advances it: let it finish after 2 s, so the poll loop goes round.
    _moto_api(
        endpoint,
        "state-manager/set-transition",
        {"model_name": "glue::crawl", "transition": {"progression": "time", "seconds": 2}},
    )
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def moto_api(moto_endpoint):
    """POST to the moto server's own API (state transitions, configuration)."""
    return lambda path, payload: _moto_api(moto_endpoint, path, payload)


def _moto_api(endpoint: str, path: str, payload: dict) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=5).close()


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """Environment pointing boto3 (and the deploy commands) at the moto server; returns a client factory."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "SUPPLYCHAIN_AWS_ENDPOINT_URL": moto_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    return lambda service: boto3.client(service, endpoint_url=moto_endpoint, region_name=REGION)
