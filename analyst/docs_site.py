"""`supplychain docs`: `dbt docs generate` against the active target, then the site served on 127.0.0.1.

The site is served with Python's own http.server rather than `dbt docs serve`, which tries to open a browser and
cannot be started on a chosen free port from the tests.
"""

from __future__ import annotations

import functools
import logging
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from foundation.warehouse.dbt_runner import run_dbt, target_folder

log = logging.getLogger(__name__)
DEFAULT_PORT = 8080
SITE_FILES = ("index.html", "manifest.json", "catalog.json")


def generate_docs(target: str, duckdb_path: Path | None = None, target_path: str | None = None) -> Path:
    """Runs `dbt docs generate` and returns the folder holding the site (index.html, manifest.json, catalog.json)."""
    env = {}
    if target == "local":
        if duckdb_path is None or not duckdb_path.exists():
            raise FileNotFoundError(f"no warehouse at {duckdb_path} — run `supplychain build` first")
        env["SUPPLYCHAIN_DUCKDB_PATH"] = str(duckdb_path)
    result = run_dbt(["docs", "generate"], target, env=env, target_path=target_path)
    if not result.ok:
        raise RuntimeError("dbt docs generate failed:\n  " + "\n  ".join(result.failures or ["see dbt output above"]))
    return site_folder(target_path)


def site_folder(target_path: str | None = None) -> Path:
    """The generated site's folder; a clear error when one of its files is missing."""
    folder = Path(target_folder(target_path))
    missing = [name for name in SITE_FILES if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(f"{folder} has no {', '.join(missing)} — run `supplychain docs --no-serve` first")
    return folder


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr (the docs site fetches a few large JSON files)."""

    def log_message(self, format, *args):
        log.debug("docs site: " + format, *args)


def start_server(folder: Path, port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serves `folder` in a daemon thread (port 0 picks a free one); stop it with `.shutdown()`."""
    server = ThreadingHTTPServer((host, port), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, name="docs-site", daemon=True).start()
    return server


def site_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/index.html"
