"""``pacer-link sandbox`` (also ``python -m batch.sandbox``): serve the simulated PACER and
courts on loopback for training, tests and the benchmark."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from pathlib import Path
from typing import NoReturn

import click

from batch import SAMPLE_DIRECTORY
from batch.sandbox.directory import DirectoryError, load_directory


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ready_file_problem(path: Path) -> str | None:
    """Why the URL could not be written to ``path``, found before the server starts: once it
    runs, a failed write would only be a thread's traceback and a caller waiting forever."""
    if path.is_dir():
        return f"--ready-file {path}: is a folder; name a file to write the URL to"
    if not path.parent.is_dir():
        return f"--ready-file {path}: folder {path.parent} does not exist; create it first"
    return None


def _write_ready_file(path: Path, url: str) -> None:
    """Write via a temporary file and rename, so a caller polling for it never reads half a URL."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(url, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):  # the first error is the one to report
            tmp.unlink(missing_ok=True)  # no stray .tmp beside the file the caller asked for
        raise


def _fail(message: str) -> NoReturn:
    click.echo(f"pacer-link sandbox: {message}", err=True)
    raise SystemExit(2)


@click.command("sandbox")
@click.option(
    "--directory",
    type=click.Path(path_type=Path),
    default=SAMPLE_DIRECTORY,
    show_default="samples/sandbox-directory.toml",
    help="Sandbox directory file (accounts and faults).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0 picks a free port."
)
@click.option("--ready-file", type=click.Path(path_type=Path), help="Write the URL here once listening.")
def sandbox_command(directory: Path, host: str, port: int, ready_file: Path | None) -> None:
    """Serve the simulated PACER and NextGen courts on loopback (Ctrl-C stops it)."""
    if not _loopback(host):
        raise click.ClickException(
            f"--host {host}: the sandbox listens on loopback only (it holds test credentials)"
        )
    problem = _ready_file_problem(ready_file) if ready_file is not None else None
    if problem:
        _fail(problem)
    try:
        d = load_directory(directory)
    except DirectoryError as exc:
        _fail(str(exc))
    try:
        # Imported here: uvicorn and starlette cost every other command (run on a real
        # environment, check) a tenth of a second of start-up for nothing.
        from batch.sandbox.server import make_server

        server, sock, _state = make_server(d, host, port)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port} ({exc.strerror}); try --port 0")
    failed: list[str] = []  # set by the announcer thread; read once the server has stopped
    url = f"http://{host}:{sock.getsockname()[1]}"

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.01)
        if server.started:
            click.echo(
                f"pacer-link sandbox listening on {url} ({len(d.pacer)} PACER accounts, "
                f"{len(d.cmecf)} CM/ECF accounts); counters at {url}/_sandbox/counters. Ctrl-C stops it."
            )
            if ready_file is not None:
                try:
                    _write_ready_file(ready_file, url)
                except OSError as exc:  # e.g. no write permission: stop rather than leave callers waiting
                    failed.append(f"--ready-file {ready_file}: cannot write it ({exc.strerror})")
                    server.should_exit = True

    threading.Thread(target=announce, daemon=True).start()
    # uvicorn handles Ctrl-C and SIGTERM: it stops cleanly, then raises the signal again.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    if failed:
        _fail(failed[0])
    click.echo("pacer-link sandbox stopped.")
