"""Logging: one JSON line per event in ``<input stem>.log.jsonl``, secrets scrubbed.

Secrets are kept out of the log by construction (they live in ``Secret`` objects, whose
``repr`` is masked and which ``json.dumps`` refuses), and scrubbed as a second line of
defence: every string in an event is searched for the secrets of the account being
worked on (set with ``secret_scope``) and for anything shaped like a session token.
Tracebacks are rendered as data without local variables: structlog's renderers show
locals by default, and a password in a local would land in the file.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, MutableMapping
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, TextIO, cast

import structlog
from structlog.tracebacks import ExceptionDictTransformer

from batch.accounts import MASK

#: PACER's nextGenCSO token is 128 characters; any run of 100 or more such characters is
#: treated as a token wherever it appears (a SHA-256 in hex, 64, is left alone). "/" is
#: not among them: a long file path in an error message must stay readable, and the
#: tokens the tool holds are scrubbed by value anyway (``secret_scope``).
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9+=_%.-]{100,}")

_scope: ContextVar[tuple[str, ...]] = ContextVar("secret_scope", default=())


@contextlib.contextmanager
def secret_scope(values: Iterable[str]) -> Iterator[None]:
    """Within this block (and the asyncio tasks it starts) these values are scrubbed."""
    token = _scope.set(_scope.get() + tuple(v for v in values if v))
    try:
        yield
    finally:
        _scope.reset(token)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in sorted({*secrets, *_scope.get()}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return TOKEN_SHAPE.sub(MASK, text)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return {key: _scrub_value(value) for key, value in event.items()}


def open_private(path: Path, mode: str = "a") -> IO[str]:
    """Open a file readable by its owner only: it names attorneys and their accounts."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC), 0o600)
    os.chmod(path, 0o600)  # an older file may have been created with wider rights
    return os.fdopen(fd, mode, encoding="utf-8", buffering=1)


def configure(log_file: IO[str] | None) -> None:
    """Send events as JSON lines to ``log_file`` (or nowhere)."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
        redact,
        structlog.processors.JSONRenderer(),
    ]
    factory: Any = (
        structlog.WriteLoggerFactory(file=cast(TextIO, log_file))
        if log_file is not None
        else structlog.ReturnLoggerFactory()
    )
    structlog.configure(
        processors=processors,
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )


log = structlog.get_logger("pacer-link")
