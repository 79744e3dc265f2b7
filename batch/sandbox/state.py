"""Everything the sandbox remembers: sessions, one-time form tokens, links, lockouts, counters.

One event loop serves every request, so plain dicts suffice; the clock is injectable so
tests can step through a lockout without waiting five minutes.
"""

from __future__ import annotations

import random
import secrets
import string
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from batch.sandbox.directory import Directory, EcfAccount, PacerAccount

LOCK_AFTER = 5  # more than five failures in a row lock the account
LOCK_SECONDS = 300.0  # five minutes, doubling after each further failure
_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Session:
    username: str  # case-folded PACER username
    court_requests: int = 0


@dataclass(frozen=True)
class Ticket:
    """A one-time form token: which session, court and step it belongs to."""

    token: str
    court: str
    step: str  # "credentials" | "confirm"
    ecf_key: tuple[str, str] | None = None


@dataclass
class Lock:
    failures: int = 0
    until: float = 0.0
    locks: int = 0


@dataclass
class SandboxState:
    directory: Directory
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(init=False)
    sessions: dict[str, Session] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    links: dict[tuple[str, str], str] = field(default_factory=dict)  # (court, pacer) -> ecf login
    ecf_links: dict[tuple[str, str], str] = field(default_factory=dict)  # (court, ecf login) -> pacer
    locks: dict[tuple[str, str], Lock] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    logins: Counter[str] = field(default_factory=Counter)
    logins_ok: Counter[str] = field(default_factory=Counter)
    bad_logins: Counter[str] = field(default_factory=Counter)
    link_counts: Counter[str] = field(default_factory=Counter)
    double_links: list[str] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    max_rate: dict[str, int] = field(default_factory=dict)
    bad_credentials: Counter[str] = field(default_factory=Counter)
    #: (host, arrival time, status) of every request, when a test asks for it.
    trace: list[tuple[str, float, int]] | None = None
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _accepted: dict[str, deque[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.directory.faults.seed)
        for (court, login), acct in self.directory.cmecf.items():
            if acct.linked_to:
                self.ecf_links[(court, login)] = acct.linked_to.casefold()
                if acct.linked_to.casefold() in self.directory.pacer:
                    self.links[(court, acct.linked_to.casefold())] = login
            if acct.locked:
                self.locks[(court, login)] = Lock(failures=LOCK_AFTER + 1, until=float("inf"), locks=1)

    # -- rate windows and counters --------------------------------------------------

    def note_request(self, host: str, now: float) -> bool:
        """Count a request; False when it is above the host's rate limit (answer 429)."""
        self.requests[host] += 1
        seen = self._seen.setdefault(host, deque())
        seen.append(now)
        while seen and seen[0] <= now - 1.0:
            seen.popleft()
        self.max_rate[host] = max(self.max_rate.get(host, 0), len(seen))
        limit = self.directory.faults.rate_limit
        if self.trace is not None:
            self.trace.append((host, now, 0))
        if not limit:
            return True
        accepted = self._accepted.setdefault(host, deque())
        while accepted and accepted[0] <= now - 1.0:
            accepted.popleft()
        if len(accepted) >= limit:
            self.counts["responses_429"] += 1
            if self.trace is not None:
                self.trace.append((host, now, 429))
            return False
        accepted.append(now)
        return True

    def counters(self) -> dict[str, object]:
        return {
            "logins": dict(self.logins),
            "logins_ok": dict(self.logins_ok),
            "bad_logins": dict(self.bad_logins),
            "logouts": self.counts["logouts"],
            "links": dict(self.link_counts),
            "double_links": list(self.double_links),
            "requests": dict(self.requests),
            "max_rate": dict(self.max_rate),
            "responses_429": self.counts["responses_429"],
            "responses_503": self.counts["responses_503"],
            "responses_502": self.counts["responses_502"],
            "lockouts": self.counts["lockouts"],
            "bad_credential_submissions": dict(self.bad_credentials),
            "confirms": self.counts["confirms"],
        }

    def reset_counters(self) -> None:
        for c in (
            self.counts,
            self.logins,
            self.logins_ok,
            self.bad_logins,
            self.link_counts,
            self.requests,
            self.bad_credentials,
        ):
            c.clear()
        self.double_links.clear()
        self.max_rate.clear()
        self._seen.clear()

    # -- PACER ----------------------------------------------------------------------

    def new_token(self, account: PacerAccount) -> str:
        token = "".join(secrets.choice(_ALPHABET) for _ in range(128))
        self.sessions[token] = Session(account.username.casefold())
        return token

    def session_for(self, token: str) -> Session | None:
        """The live session of a court request, counting it against ``token_ttl_requests``."""
        session = self.sessions.get(token)
        if session is None:
            return None
        session.court_requests += 1
        ttl = self.directory.faults.token_ttl_requests
        if ttl and session.court_requests > ttl:
            del self.sessions[token]
            return None
        return session

    # -- form tokens ----------------------------------------------------------------

    def issue(self, token: str, court: str, step: str, ecf_key: tuple[str, str] | None = None) -> str:
        value = secrets.token_urlsafe(24)
        self.tickets[value] = Ticket(token, court, step, ecf_key)
        return value

    def redeem(self, value: str, token: str, court: str, step: str) -> Ticket | None:
        """A form token is good once, for the session and court it was issued to."""
        ticket = self.tickets.get(value)
        if ticket is None or ticket.token != token or ticket.court != court or ticket.step != step:
            return None
        del self.tickets[value]
        return ticket

    # -- CM/ECF credentials and lockout ---------------------------------------------

    def is_locked(self, key: tuple[str, str]) -> bool:
        lock = self.locks.get(key)
        return bool(lock and lock.until > self.clock())

    def fail(self, key: tuple[str, str]) -> bool:
        """A wrong password. Returns True when this failure locks the account."""
        self.bad_credentials[f"{key[0]}/{key[1]}"] += 1
        lock = self.locks.setdefault(key, Lock())
        lock.failures += 1
        if lock.failures > LOCK_AFTER:
            lock.until = self.clock() + LOCK_SECONDS * 2**lock.locks
            lock.locks += 1
            self.counts["lockouts"] += 1
            return True
        return False

    def succeed(self, key: tuple[str, str]) -> None:
        self.locks.pop(key, None)

    def link(self, court: str, pacer: str, acct: EcfAccount) -> None:
        pair = f"{court}/{pacer}"
        if (court, pacer) in self.links:
            self.double_links.append(pair)  # the defect every test looks for
        self.links[(court, pacer)] = acct.login.casefold()
        self.ecf_links[(court, acct.login.casefold())] = pacer
        self.link_counts[pair] += 1
