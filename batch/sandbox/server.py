"""Serve the sandbox on loopback with uvicorn: in a background thread (tests, ``run --env
sandbox``) or in the foreground (``pacer-link sandbox``, the benchmark's own process)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from batch.sandbox.app import create_app
from batch.sandbox.directory import Directory, load_directory
from batch.sandbox.state import SandboxState


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_server(
    directory: Directory, host: str = "127.0.0.1", port: int = 0, *, embedded: bool = False
) -> tuple[uvicorn.Server, socket.socket, SandboxState]:
    """``embedded`` is the sandbox inside another program (a run, a test): it shares that
    program's console, so uvicorn must print nothing there, and must not reconfigure its logging."""
    state = SandboxState(directory)
    app = create_app(directory, state=state)
    # No access log (URLs would only be noise here), no lifespan, no signal handlers unless run
    # in the foreground (uvicorn installs them in Server.run on the main thread).
    log_options: dict[str, Any] = (
        {"log_level": "critical", "log_config": None} if embedded else {"log_level": "warning"}
    )
    config = uvicorn.Config(app, access_log=False, lifespan="off", timeout_keep_alive=30, **log_options)
    return uvicorn.Server(config), _bind(host, port), state


class SandboxServer:
    """The sandbox in a background thread on a free loopback port: ``with SandboxServer(d) as s``."""

    def __init__(self, directory: Directory, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server, self._sock, self.state = make_server(directory, host, port, embedded=True)
        self.host, self.port = self._sock.getsockname()[:2]
        self._thread: threading.Thread | None = None

    @classmethod
    def from_file(cls, path: Path) -> SandboxServer:
        return cls(load_directory(path))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self.server.config.install_signal_handlers = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
