"""A throwaway PostgreSQL server for the tests: `python -m tests.support.postgres -- CMD …`

initdb into a fresh temporary folder, start the server on 127.0.0.1 at a free port (and a
unix socket in that folder), run CMD with TEST_DATABASE_URL pointing at the server's `postgres`
database, stop the server and remove the folder, whatever CMD did. Exits with CMD's status.

The server's programs are Debian's (`apt-get install postgresql`: /usr/lib/postgresql/<N>/bin,
the newest N), or PG_BINDIR, or initdb/pg_ctl on PATH. PostgreSQL refuses to run as root: as
root, the server runs as the `postgres` user that Debian's package creates. Durability is off
(fsync, synchronous_commit, full_page_writes): the data is thrown away after the run.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_OPTIONS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                  "-c max_connections=300 -c listen_addresses=127.0.0.1")


class NoServer(RuntimeError):
    """No PostgreSQL server programs on this machine, or no user to run them as."""


def bindir() -> Path:
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                    else 0)
    if debian:
        return debian[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise NoServer("no PostgreSQL server found: install it (Debian: apt-get install "
                   "postgresql) or set PG_BINDIR to the folder of initdb and pg_ctl")


def _as_server_user() -> tuple[list[str], int | None]:
    """The command prefix that runs a server program, and the uid that owns the data."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise NoServer("running as root, and there is no `postgres` user to run the server "
                       "as (Debian's postgresql package creates it)") from exc
    return ["runuser", "-u", "postgres", "--"], user.pw_uid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server() -> Iterator[str]:
    """Start a server; yield its maintenance URL (the `postgres` database); stop it."""
    bin_ = bindir()
    prefix, uid = _as_server_user()
    # as root, in /tmp: the server's user must reach the folder (TMPDIR may be root's own)
    top = Path(tempfile.mkdtemp(prefix="unionbot-pg-", dir="/tmp" if uid is not None else None))
    data, log = top / "data", top / "server.log"
    try:
        if uid is not None:
            os.chown(top, uid, -1)
        run = [*prefix]
        subprocess.run([*run, str(bin_ / "initdb"), "-D", str(data), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        options = f"{SERVER_OPTIONS} -p {port} -k {top}"
        start = subprocess.run([*run, str(bin_ / "pg_ctl"), "start", "-w", "-t", "60",
                                "-D", str(data), "-l", str(log), "-o", options],
                               stdout=subprocess.DEVNULL)
        if start.returncode != 0:
            raise NoServer(f"the PostgreSQL server did not start:\n{_tail(log)}")
        try:
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*run, str(bin_ / "pg_ctl"), "stop", "-D", str(data),
                            "-m", "immediate", "-w"], stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _tail(path: Path) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return "(no log)"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with server() as url:
            print(f"PostgreSQL for the tests at {url}", file=sys.stderr, flush=True)
            return subprocess.run(argv, env={**os.environ, "TEST_DATABASE_URL": url}).returncode
    except (NoServer, subprocess.CalledProcessError) as exc:
        print(f"tests.support.postgres: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
