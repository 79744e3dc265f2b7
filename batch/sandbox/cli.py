"""``pacer-link sandbox`` (also ``python -m batch.sandbox``): serve the simulated PACER and
courts on loopback for training, tests and the benchmark."""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from pathlib import Path

import click

from batch import SAMPLE_DIRECTORY
from batch.sandbox.directory import DirectoryError, load_directory
from batch.sandbox.server import make_server


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    try:
        d = load_directory(directory)
    except DirectoryError as exc:
        click.echo(f"pacer-link sandbox: {exc}", err=True)
        raise SystemExit(2) from None
    try:
        server, sock, _state = make_server(d, host, port)
    except OSError as exc:
        click.echo(
            f"pacer-link sandbox: cannot listen on {host}:{port} ({exc.strerror}); try --port 0", err=True
        )
        raise SystemExit(2) from None
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
                tmp = ready_file.with_name(ready_file.name + ".tmp")
                tmp.write_text(url, encoding="utf-8")
                tmp.replace(ready_file)

    threading.Thread(target=announce, daemon=True).start()
    # uvicorn handles Ctrl-C and SIGTERM: it stops cleanly, then raises the signal again.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    click.echo("pacer-link sandbox stopped.")
