"""The embedded server: starts on a free loopback port, keeps its data across down/up, stops cleanly."""

from __future__ import annotations

import os
import pwd
import shutil
import site
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ingestion.warehouse.embedded import EmbeddedServer


@pytest.fixture
def server(tmp_path: Path):
    instance = EmbeddedServer(tmp_path / "state")
    yield instance
    instance.down()


def test_down_then_up_keeps_data_and_port(server: EmbeddedServer) -> None:
    first = server.up()
    assert first.running and first.port
    with psycopg.connect(first.dsn("postgres")) as conn:
        assert conn.info.host == "127.0.0.1"
        conn.execute("create table kept (note text)")
        conn.execute("insert into kept values ('переживёт перезапуск')")

    assert server.down() is True
    stopped = server.status()
    assert not stopped.running
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(first.dsn("postgres"), connect_timeout=2)

    second = server.up()
    assert second.running and second.port == first.port
    with psycopg.connect(second.dsn("postgres")) as conn:
        assert conn.execute("select note from kept").fetchall() == [("переживёт перезапуск",)]


def test_up_is_idempotent_and_down_reports_when_not_running(server: EmbeddedServer) -> None:
    started = server.up()
    assert server.up().pid == started.pid
    assert server.down() is True
    assert server.down() is False


def test_text_functions_know_cyrillic(server: EmbeddedServer) -> None:
    """The cluster's locale lower-cases Russian text (header and name matching in SQL rely on it)."""
    with psycopg.connect(server.up().dsn("postgres")) as conn:
        assert conn.execute("select lower('МО ГО «УХТА» Ёлка')").fetchone() == ("мо го «ухта» ёлка",)


SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="needs root to switch user")
@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason=f"needs {SYSTEM_PYTHON} runnable by an ordinary user")
def test_runs_as_an_ordinary_user(tmp_path: Path) -> None:
    """Started by an unprivileged user, the server runs as that user (no root-only step)."""
    user = "nobody"
    root = Path(__file__).parents[2]
    state = tmp_path / "user-state"
    state.mkdir()
    entry = pwd.getpwnam(user)
    os.chown(state, entry.pw_uid, entry.pw_gid)
    for folder in [tmp_path, *tmp_path.parents]:
        folder.chmod(folder.stat().st_mode | 0o005)
    script = (
        "import sys; from pathlib import Path; import psycopg;"
        "from ingestion.warehouse.embedded import EmbeddedServer;"
        "s = EmbeddedServer(Path(sys.argv[1])); st = s.up();"
        "c = psycopg.connect(st.dsn('postgres')); print(c.execute('select current_user').fetchone()[0]);"
        "c.close(); print(s.down())"
    )
    result = subprocess.run(
        [str(shutil.which("runuser")), "-u", user, "--", str(SYSTEM_PYTHON), "-c", script, str(state)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        # the project's virtualenv interpreter may sit in root's home; its packages are readable
        env={
            "HOME": str(state),
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{root}:{site.getsitepackages()[0]}",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["postgres", "True"]
    assert (state / "pgdata").stat().st_uid == entry.pw_uid
