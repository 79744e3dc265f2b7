"""The sandbox directory file (TOML, contract.md): the accounts the sandbox knows, and its faults.

Sandbox extensions beyond contract.md, for training and tests: ``[[court]] down = true``
(every request to that court answers 503) and ``latency_ms``; ``[[cmecf]] locked = true``
(locked from the start) and ``page = "maintenance"`` (its credentials answer a page no
client knows); ``[faults] retry_after = "seconds" | "date"`` (the form of Retry-After).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batch.registry import Court, CourtType, default_registry
from batch.validation import MIN_OTP_BITS, otp_secret_bits


class DirectoryError(Exception):
    """Raised for a directory file that cannot be used; the message names the entry."""


_BASE32 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# pyotp refuses secrets under MIN_OTP_BITS (112), which is 23 base32 characters.
MFA_SECRET_MIN_CHARS = -(-MIN_OTP_BITS // 5)


@dataclass(frozen=True, slots=True)
class SandboxCourt:
    id: str
    type: CourtType
    psc_id: str
    nextgen: bool = True
    down: bool = False
    latency_ms: int = 0


@dataclass(frozen=True, slots=True)
class PacerAccount:
    username: str
    password: str
    name: str
    status: str = "active"  # active | disabled | legacy
    mfa_secret: str = ""


@dataclass(frozen=True, slots=True)
class EcfAccount:
    court: str
    login: str
    password: str
    name: str
    linked_to: str = ""
    locked: bool = False
    page: str = ""


@dataclass(frozen=True, slots=True)
class Faults:
    seed: int = 0
    latency_ms: int = 0
    error_rate: float = 0.0
    rate_limit: float = 0.0
    drop_after_confirm: float = 0.0
    token_ttl_requests: int = 0
    retry_after: str = "seconds"


@dataclass(frozen=True)
class Directory:
    courts: dict[str, SandboxCourt]
    pacer: dict[str, PacerAccount]  # by case-folded username
    cmecf: dict[tuple[str, str], EcfAccount]  # by (court, case-folded login)
    faults: Faults = field(default_factory=Faults)


def _get(
    entry: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None
) -> Any:
    if key not in entry:
        if default is None:
            raise DirectoryError(f"{where}: {key} is missing")
        return default
    value = entry[key]
    if isinstance(value, bool) and kind is not bool:
        raise DirectoryError(f"{where}: {key} must not be true/false")
    if not isinstance(value, kind):
        raise DirectoryError(f"{where}: {key} has the wrong type ({type(value).__name__})")
    return value


def _courts(raw: list[Any], registry: dict[str, Court]) -> dict[str, SandboxCourt]:
    courts = {c.id: SandboxCourt(c.id, c.type, c.psc_id, c.nextgen) for c in registry.values()}
    for n, entry in enumerate(raw, start=1):
        where = f"court entry {n}"
        if not isinstance(entry, dict):
            raise DirectoryError(f"{where}: must be a table")
        court_id = _get(entry, "id", str, where).strip().lower()
        where = f"court entry {n} (id {court_id!r})"
        known = registry.get(court_id)
        type_text = _get(entry, "type", str, where, known.type.value if known else None)
        try:
            court_type = CourtType(type_text)
        except ValueError:
            raise DirectoryError(
                f"{where}: unknown type {type_text!r}; use district, bankruptcy or appellate"
            ) from None
        courts[court_id] = SandboxCourt(
            id=court_id,
            type=court_type,
            psc_id=known.psc_id if known else court_id.upper(),
            nextgen=_get(entry, "nextgen", bool, where, True),
            down=_get(entry, "down", bool, where, False),
            latency_ms=_get(entry, "latency_ms", int, where, 0),
        )
    return courts


def _mfa_secret(secret: str, where: str) -> str:
    """A secret the sandbox cannot turn into codes would answer every login of that account
    with a 500, so refuse it here, where the message can name the entry."""
    if not secret:
        return secret  # no MFA for this account
    bad = sorted(set(secret.upper()) - _BASE32)
    if bad:
        raise DirectoryError(
            f"{where}: mfa_secret is not base32 (it has {''.join(bad)!r}); "
            "use only the letters A-Z and the digits 2-7, without spaces or = padding"
        )
    bits = otp_secret_bits(secret)  # the workbook's rule: the codes come from the same pyotp
    if bits is None:  # a length base32 cannot have
        raise DirectoryError(
            f"{where}: mfa_secret is not usable (a base32 text cannot have {len(secret)} characters); "
            "32 characters always work"
        )
    if bits < MIN_OTP_BITS:
        raise DirectoryError(
            f"{where}: mfa_secret is too short ({len(secret)} characters); "
            f"use at least {MFA_SECRET_MIN_CHARS} characters (32 is usual)"
        )
    return secret


def parse_directory(data: dict[str, Any], registry: dict[str, Court] | None = None) -> Directory:
    registry = registry if registry is not None else default_registry()
    unknown = set(data) - {"court", "pacer", "cmecf", "faults"}
    if unknown:
        raise DirectoryError(
            f"unknown section(s) {', '.join(sorted(unknown))}; use court, pacer, cmecf, faults"
        )
    courts = _courts(data.get("court", []), registry)
    pacer: dict[str, PacerAccount] = {}
    for n, entry in enumerate(data.get("pacer", []), start=1):
        where = f"pacer entry {n}"
        username = _get(entry, "username", str, where)
        where = f"pacer entry {n} (username {username!r})"
        if username.casefold() in pacer:
            raise DirectoryError(f"{where}: duplicate username")
        status = _get(entry, "status", str, where, "active")
        if status not in ("active", "disabled", "legacy"):
            raise DirectoryError(f"{where}: unknown status {status!r}; use active, disabled or legacy")
        pacer[username.casefold()] = PacerAccount(
            username,
            _get(entry, "password", str, where),
            _get(entry, "name", str, where),
            status,
            _mfa_secret(_get(entry, "mfa_secret", str, where, ""), where),
        )
    cmecf: dict[tuple[str, str], EcfAccount] = {}
    for n, entry in enumerate(data.get("cmecf", []), start=1):
        where = f"cmecf entry {n}"
        court = _get(entry, "court", str, where).strip().lower()
        login = _get(entry, "login", str, where)
        where = f"cmecf entry {n} (court {court!r}, login {login!r})"
        if court not in courts:
            raise DirectoryError(f"{where}: unknown court; add a [[court]] entry or use a registry id")
        if (court, login.casefold()) in cmecf:
            raise DirectoryError(f"{where}: duplicate login in that court")
        linked_to = _get(entry, "linked_to", str, where, "")
        cmecf[(court, login.casefold())] = EcfAccount(
            court,
            login,
            _get(entry, "password", str, where),
            _get(entry, "name", str, where),
            linked_to,
            _get(entry, "locked", bool, where, False),
            _get(entry, "page", str, where, ""),
        )
    f = data.get("faults", {})
    where = "[faults]"
    faults = Faults(
        seed=_get(f, "seed", int, where, 0),
        latency_ms=_get(f, "latency_ms", (int, float), where, 0),
        error_rate=float(_get(f, "error_rate", (int, float), where, 0.0)),
        rate_limit=float(_get(f, "rate_limit", (int, float), where, 0)),
        drop_after_confirm=float(_get(f, "drop_after_confirm", (int, float), where, 0.0)),
        token_ttl_requests=_get(f, "token_ttl_requests", int, where, 0),
        retry_after=_get(f, "retry_after", str, where, "seconds"),
    )
    if faults.retry_after not in ("seconds", "date"):
        raise DirectoryError(f'{where}: retry_after must be "seconds" or "date"')
    for key in ("error_rate", "drop_after_confirm"):
        if not 0 <= getattr(faults, key) <= 1:
            raise DirectoryError(f"{where}: {key} must be between 0 and 1")
    return Directory(courts, pacer, cmecf, faults)


def load_directory(path: Path) -> Directory:
    # Checked before opening: a folder raises IsADirectoryError on POSIX but PermissionError on Windows.
    if path.is_dir():
        raise DirectoryError(f"{path}: is a folder, not a directory file; pass the .toml file itself")
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise DirectoryError(f"{path}: sandbox directory file not found") from None
    except UnicodeDecodeError as exc:  # tomllib decodes the whole file as UTF-8 first
        raise DirectoryError(
            f"{path}: is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise DirectoryError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return parse_directory(data)
    except DirectoryError as exc:
        raise DirectoryError(f"{path}: {exc}") from None
