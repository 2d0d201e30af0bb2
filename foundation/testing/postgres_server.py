"""A throwaway PostgreSQL cluster on 127.0.0.1 for the tests and local integration runs.

    python -m foundation.testing.postgres_server start   # prints the SUPPLYCHAIN_PG_* exports
    python -m foundation.testing.postgres_server stop

The cluster lives in the ignored .pg/ folder (or a temporary folder when the server's user cannot reach it).
PostgreSQL refuses to run as root, so under root it runs as the distribution's `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_DIR = PROJECT_DIR / ".pg"
SERVER_USER = "postgres"
DATABASE = "supplychain"
ROLE = "supplychain"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise FileNotFoundError("no PostgreSQL server binaries (initdb): run scripts/ensure_postgres.sh")


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


def _reachable_by_server_user(folder: Path) -> bool:
    if os.geteuid() != 0:
        return True
    probe = subprocess.run(_as_server_user(["test", "-x", str(folder.parent)]), check=False)
    return probe.returncode == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    folder: Path
    port: int

    @property
    def env(self) -> dict[str, str]:
        """The variables the dbt profile and `supplychain load --target postgres` read."""
        return {
            "SUPPLYCHAIN_PG_HOST": "127.0.0.1",
            "SUPPLYCHAIN_PG_PORT": str(self.port),
            "SUPPLYCHAIN_PG_USER": ROLE,
            "SUPPLYCHAIN_PG_PASSWORD": "",
            "SUPPLYCHAIN_PG_DATABASE": DATABASE,
        }

    def stop(self) -> None:
        pg_ctl = str(_bindir() / "pg_ctl")
        subprocess.run(
            _as_server_user([pg_ctl, "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"]),
            check=False,
            capture_output=True,
        )


def start(folder: Path = DEFAULT_DIR, port: int | None = None) -> PostgresServer:
    """Initialises the cluster on first use, starts it and creates the role and database."""
    bindir = _bindir()
    folder.mkdir(parents=True, exist_ok=True)
    if not _reachable_by_server_user(folder):
        folder = Path(tempfile.mkdtemp(prefix="supplychain-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER)
        folder.chmod(0o755)
    data = folder / "data"
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            _as_server_user(
                [str(bindir / "initdb"), "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
    port = port or _free_port()
    # Durability is pointless for a throwaway test cluster; these settings make loads several times faster.
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{folder}' "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=2GB"
    )
    subprocess.run(
        _as_server_user(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    server = PostgresServer(folder, port)
    _create_database(server)
    return server


def _create_database(server: PostgresServer) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(
                host="127.0.0.1", port=server.port, user=ROLE, dbname="postgres", autocommit=True
            ) as c:
                if not c.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
                    c.execute(f"create database {DATABASE}")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(argv: list[str]) -> int:
    state = DEFAULT_DIR / "port"
    if argv[:1] == ["start"]:
        server = start()
        state.write_text(str(server.port))
        print("\n".join(f"export {k}={v}" for k, v in server.env.items()))
        return 0
    if argv[:1] == ["stop"] and state.exists():
        PostgresServer(DEFAULT_DIR, int(state.read_text())).stop()
        state.unlink()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
