"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, start, stop.

The server binaries come from Debian's `postgresql` package (the Makefile installs it; here it is
installed only as root with CI=true or CHARTROOM_TEST_INSTALL_POSTGRES=1). PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` user via runuser. It listens on a unix
socket in the temporary folder and on a free TCP port on 127.0.0.1 only, with fsync off (tests).
One server serves the whole test session (stopped at exit); each test gets a fresh database.

Without the binaries the PostgreSQL tests are skipped with the reason, except under CI=true,
where they fail: CI must test PostgreSQL.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "chartroom"


def _bin_dir() -> Path | None:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in candidates:
        if Path(directory, "initdb").exists() and Path(directory, "pg_ctl").exists():
            return Path(directory)
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    return None


def _maybe_install() -> None:
    wanted = os.environ.get("CI") == "true" or os.environ.get("CHARTROOM_TEST_INSTALL_POSTGRES")
    if os.geteuid() != 0 or not wanted:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        check=False,
        env=env,
        timeout=900,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    as_user: str | None  # run the server programs as this user (when we are root)
    _counter: itertools.count[int]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        return ["runuser", "-u", self.as_user, "--", *cmd] if self.as_user else cmd

    def start(self) -> None:
        subprocess.run(
            self._cmd(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-k {self.root} -p {self.port} -h 127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        subprocess.run(
            self._cmd(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                check=False,
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"chartroom_test_{next(self._counter)}"
        dsn = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no server log)"


_server: PostgresServer | None = None
_failure: str | None = None


def server() -> PostgresServer:
    """The session's PostgreSQL server, started on first use; skips or fails when impossible."""
    global _server, _failure
    if _server is not None:
        return _server
    if _failure is not None:
        pytest.fail(_failure)
    bin_dir = _bin_dir()
    if bin_dir is None:
        _maybe_install()
        bin_dir = _bin_dir()
    if bin_dir is None:
        message = (
            "PostgreSQL server programs (initdb, pg_ctl) not found: install the Debian package"
            " `postgresql` (make test does) to run the PostgreSQL tests"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="chartroom-pg-"))
    as_user = None
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = None
        if account is None:
            pytest.skip("running as root and there is no `postgres` user to run PostgreSQL as")
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = "postgres"
    candidate = PostgresServer(bin_dir, root, _free_port(), as_user, itertools.count(1))
    try:
        candidate.start()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        _failure = (
            f"PostgreSQL did not start: {stderr.decode(errors='replace')[-1000:]}\n"
            f"{candidate.log_tail()}"
        )
        candidate.stop()
        pytest.fail(_failure)
    atexit.register(candidate.stop)
    _server = candidate
    return candidate
