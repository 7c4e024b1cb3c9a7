"""The command line run for a test: in this process (fast), or as a real `python -m bot`.

`run_in_process` does what `python -m bot ARGS` does (bot/__main__.py: `raise SystemExit(main())`)
inside the test process, and answers as `subprocess.run(..., capture_output=True, text=True)`
would: a `CompletedProcess` with the exit status, stdout and stderr. For the call it sets the
environment and the working directory, gives the command its own stdin, stdout and stderr, and
turns what would end the process into its exit status: SystemExit's code, or 1 and the traceback
on stderr for an uncaught exception. A warning logged while no handler is configured goes to
stderr, as Python's last-resort handler writes it in a real process. Afterwards the environment,
the working directory, the standard streams and logging are as they were. (What a command leaves
open stays open: bot/cli/rounds.py and bot/cli/desk.py do not close their services, which a
process's exit does for them; here each such call leaves an idle SQLite connection thread.)

`run_process` is the real thing, for the tests where the process boundary is the point: the
exit status of the real entry point, the installed `unionbot` script, start-up.

Either adds `env` to this process's environment, or with `inherit=False` makes it the whole
environment (a test that names every setting it wants, none inherited).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def free_port() -> int:
    """A loopback port nothing listens on now (a closed one, or one to listen on later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_process(args: Sequence[str], env: Mapping[str, str] | None = None,
                stdin: str | None = None, cwd: Path = ROOT,
                inherit: bool = True) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` as a child process."""
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, cwd=cwd,
                          env={**(os.environ if inherit else {}), **(env or {})},
                          capture_output=True, text=True, timeout=TIMEOUT)


def run_in_process(args: Sequence[str], env: Mapping[str, str] | None = None,
                   stdin: str | None = None, cwd: Path = ROOT,
                   inherit: bool = True) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` in this process."""
    argv = [sys.executable, "-m", "bot", *args]
    out, err = io.StringIO(), io.StringIO()
    with _environment(env or {}, inherit), _working_directory(cwd), \
            _streams(stdin or "", out, err), _last_resort_logging(err):
        if _loop_running():  # asyncio.run() refuses to start inside a running loop
            code = _in_a_thread(list(args), err)
        else:
            code = _exit_status(list(args), err)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def _exit_status(args: list[str], err: io.StringIO) -> int:
    """What the process would exit with (bot/__main__.py: `raise SystemExit(main())`)."""
    try:
        raise SystemExit(main(args))
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=err)  # as the interpreter does with SystemExit("text")
        return 1
    except Exception:  # the interpreter prints the traceback and exits 1
        traceback.print_exc(file=err)
        return 1


def _in_a_thread(args: list[str], err: io.StringIO) -> int:
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(_exit_status(args, err)))
    worker.start()
    worker.join(TIMEOUT)
    if worker.is_alive():
        raise subprocess.TimeoutExpired(["python", "-m", "bot", *args], TIMEOUT)
    return codes[0]


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@contextlib.contextmanager
def _environment(values: Mapping[str, str], inherit: bool) -> Iterator[None]:
    saved = dict(os.environ)
    if not inherit:
        os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    saved = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(saved)


@contextlib.contextmanager
def _streams(stdin: str, out: io.StringIO, err: io.StringIO) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def _last_resort_logging(err: io.StringIO) -> Iterator[None]:
    """In a real process nothing handles the root logger unless the command sets logging up,
    so warnings and errors reach stderr as bare messages (logging.lastResort). Here pytest's
    handlers sit on the root logger; this one writes to the command's stderr what a real
    process would have written there. The root logger's handlers and level are restored after
    (a command that sets logging up, bot/runtime/logs.py, must not leave it set for the next
    test)."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    root.addHandler(handler)
    try:
        yield
    finally:
        for extra in [h for h in root.handlers if h not in saved_handlers]:
            root.removeHandler(extra)
            if extra is not handler:
                extra.close()
        root.setLevel(saved_level)

