"""Settings: ``config/default.toml`` with an optional ``--config`` file laid over it.

Also decides which hosts an environment may talk to: production only ``https`` hosts
under ``uscourts.gov`` (TLS verification is never optional); plain ``http`` only on
loopback, for the sandbox and for tests.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from batch import CONFIG_DIR
from batch.pages import PatternError, Patterns

DEFAULT_CONFIG = CONFIG_DIR / "default.toml"


class SettingsError(Exception):
    """A configuration file or environment that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    login_url: str  # PACER login host root, no trailing slash
    court_url: str  # court base with a ``{court}`` placeholder
    login_per_second: float
    court_per_second: float

    def court_base(self, court: str) -> str:
        return self.court_url.format(court=court).rstrip("/")


@dataclass(frozen=True, slots=True)
class Settings:
    concurrency: int
    login_per_second: float
    court_per_second: float
    per_host_concurrency: int
    connect_seconds: float
    read_seconds: float
    row_seconds: float
    retry_attempts: int
    retry_initial_wait: float
    retry_max_wait: float
    max_retry_after: float
    flow_attempts: int
    circuit_failures: int
    environments: dict[str, dict[str, Any]]
    patterns: dict[str, Any]

    def with_concurrency(self, concurrency: int | None) -> Settings:
        return self if concurrency is None else replace(self, concurrency=concurrency)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    # Checked first: opening a folder fails differently per system (IsADirectoryError,
    # PermissionError on Windows), and "permission denied" would send a person the wrong way.
    if path.is_dir():
        raise SettingsError(f"{path}: is a folder, not a configuration file; pass the .toml file itself")
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise SettingsError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}); fix the file") from None
    except UnicodeDecodeError as exc:  # tomllib decodes UTF-8 itself and lets this through
        line = exc.object[: exc.start].count(b"\n") + 1
        raise SettingsError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line}); "
            "save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot be read ({exc.strerror})") from None


def _kind(value: object, name: str) -> str:
    """What a TOML value is, in the words of the TOML a person wrote."""
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return f"an array of tables ([[{name}]])"
        return "an array"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    return f"a {type(value).__name__}"


class _Sources:
    """Tells which file set a key, so that an error sends a person to the right file."""

    def __init__(self, config: Path | None, over: dict[str, Any]) -> None:
        self.config = config
        self.over = over

    def origin(self, *keys: str) -> Path:
        """The --config file when it wrote ``keys`` (or replaced a table on the way to them
        with something else), else the defaults."""
        if self.config is None:
            return DEFAULT_CONFIG
        node: Any = self.over
        for key in keys:
            if not isinstance(node, dict):
                return self.config
            if key not in node:
                return DEFAULT_CONFIG
            node = node[key]
        return self.config

    def fail(self, keys: tuple[str, ...], message: str) -> NoReturn:
        raise SettingsError(f"{self.origin(*keys)}: {message}")


def _check_tables(
    defaults: dict[str, Any], merged: dict[str, Any], sources: _Sources, at: tuple[str, ...]
) -> None:
    """Every table of the defaults is still a table once the --config file is laid over
    them: ``[[run]]`` or ``patterns = 3`` would otherwise reach code that expects a table."""
    for key, default in defaults.items():
        if not isinstance(default, dict):
            continue
        keys = (*at, key)
        value = merged.get(key)
        name = ".".join(keys)
        if not isinstance(value, dict):
            sources.fail(
                keys,
                f"[{name}] must be a table (a [{name}] line, then key = value lines), "
                f"not {_kind(value, name)}",
            )
        _check_tables(default, value, sources, keys)


def _number(table: dict[str, Any], section: str, key: str, *, minimum: float, integer: bool = False) -> Any:
    value = table.get(section, {}).get(key)
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or value < minimum:
        want = "a whole number" if integer else "a number"
        raise SettingsError(f"[{section}] {key} must be {want} of at least {minimum}, not {value!r}")
    return value


def load_settings(config: Path | None = None) -> Settings:
    """The defaults with ``config`` laid over them. Everything is checked here, before a run
    starts: a SettingsError names the file, the key and what to write instead."""
    defaults = _read_toml(DEFAULT_CONFIG)
    over = _read_toml(config) if config is not None else {}
    raw = _merge(defaults, over)
    sources = _Sources(config, over)
    _check_tables(defaults, raw, sources, ())
    envs: dict[str, Any] = raw["environments"]
    for name, table in envs.items():
        if not isinstance(table, dict):
            sources.fail(
                ("environments", name),
                f"[environments.{name}] must be a table (an [environments.{name}] line, then "
                f"login_url = ... and court_url = ...), not {_kind(table, f'environments.{name}')}",
            )
    patterns: dict[str, Any] = raw["patterns"]
    try:
        # Built here only to be checked; a run builds its own from settings.patterns.
        Patterns.from_config(patterns)
    except PatternError as exc:
        sources.fail(("patterns", *filter(None, exc.key.split("."))), str(exc))

    def number(section: str, key: str, *, minimum: float, integer: bool = False) -> Any:
        try:
            return _number(raw, section, key, minimum=minimum, integer=integer)
        except SettingsError as exc:
            sources.fail((section, key), str(exc))

    return Settings(
        concurrency=number("run", "concurrency", minimum=1, integer=True),
        login_per_second=number("rate", "login_per_second", minimum=0.01),
        court_per_second=number("rate", "court_per_second", minimum=0.01),
        per_host_concurrency=number("rate", "per_host_concurrency", minimum=1, integer=True),
        connect_seconds=number("timeouts", "connect_seconds", minimum=0.01),
        read_seconds=number("timeouts", "read_seconds", minimum=0.01),
        row_seconds=number("timeouts", "row_seconds", minimum=0.1),
        retry_attempts=number("retries", "attempts", minimum=1, integer=True),
        retry_initial_wait=number("retries", "initial_wait_seconds", minimum=0),
        retry_max_wait=number("retries", "max_wait_seconds", minimum=0),
        max_retry_after=number("retries", "max_retry_after_seconds", minimum=0),
        flow_attempts=number("retries", "flow_attempts", minimum=1, integer=True),
        circuit_failures=number("circuit", "court_failures", minimum=1, integer=True),
        environments=envs,
        patterns=patterns,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(env_name: str, key: str, url: str) -> None:
    """Refuse a host the environment may not talk to (see module docstring)."""
    parts = urlsplit(url.replace("{court}", "court").replace("{port}", "1"))
    host = (parts.hostname or "").lower()
    where = f"[environments.{env_name}] {key} = {url!r}"
    if not host or parts.scheme not in ("http", "https"):
        raise SettingsError(f"{where}: not an http(s) URL")
    if env_name == "production":
        if parts.scheme != "https" or not (host == "uscourts.gov" or host.endswith(".uscourts.gov")):
            raise SettingsError(f"{where}: production talks only to https hosts under uscourts.gov")
    elif parts.scheme == "http" and not _is_loopback(host):
        raise SettingsError(f"{where}: plain http is allowed only on loopback; use https")


def resolve_environment(settings: Settings, name: str, *, port: int | None = None) -> Environment:
    """The named environment's hosts and rates; ``port`` fills the sandbox's ``{port}``."""
    table = settings.environments.get(name)
    if table is None:
        known = ", ".join(sorted(settings.environments))
        raise SettingsError(
            f"unknown environment {name!r}: use one of {known}, "
            f"or add [environments.{name}] to a --config file"
        )
    urls: dict[str, str] = {}
    for key in ("login_url", "court_url"):
        value = table.get(key)
        if not isinstance(value, str):
            raise SettingsError(
                f"[environments.{name}] {key} is missing: set it in a --config file "
                f'(e.g. {key} = "https://...")'
            )
        check_url(name, key, value)
        urls[key] = value.replace("{port}", str(port)) if port is not None else value
    if "{court}" not in urls["court_url"]:
        raise SettingsError(f"[environments.{name}] court_url must contain {{court}}")
    rates = {
        "rate": {
            "login_per_second": settings.login_per_second,
            "court_per_second": settings.court_per_second,
            **table,
        }
    }
    return Environment(
        name=name,
        login_url=urls["login_url"].rstrip("/"),
        court_url=urls["court_url"],
        login_per_second=float(_number(rates, "rate", "login_per_second", minimum=0.01)),
        court_per_second=float(_number(rates, "rate", "court_per_second", minimum=0.01)),
    )
