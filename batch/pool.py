"""Politeness on the wire: per-host rate and concurrency caps shared by every worker,
``Retry-After`` honoured by all of them, and bounded retries of transient failures.

Exceptions (``could not find out``; expected answers are values, not exceptions)::

    TransientError     a timeout, connection error, 429 or 5xx; retried here, never seen
                       by callers of ``request`` except for a non-idempotent request
    GaveUp             the retry policy ran out; the row ends ``gave_up``

A "host" is a logical one: ``"login"`` for PACER's login service, else the court id. In
the sandbox every court shares one loopback port, yet each is its own host, as in
production where each court is ``ecf.<court>.uscourts.gov``.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.cookiejar
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import certifi
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from batch.settings import Environment, Settings

LOGIN_HOST = "login"

#: Requests are spaced 4% wider than the configured rate allows. A host counts arrivals,
#: not departures: a request held up for a moment (network, a busy event loop on either
#: side) lands closer to the next one, and a client pacing at exactly the limit is seen
#: above it. 4% absorbs 40 ms of such delay in any one-second window; 3% (30 ms) was
#: measured too little on a loaded 2-core machine.
RATE_MARGIN = 1.04

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class TransientError(Exception):
    """Raised for one try that may succeed later: timeout, connection error, 429 or 5xx."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class GaveUp(Exception):
    """Raised when transient failures outlasted the retry policy (or a Retry-After too long)."""


class Spacer:
    """Lets one request through every ``interval`` seconds, first come first served.

    Strict spacing rather than a token bucket (aiolimiter's ``AsyncLimiter(rate, 1)``
    lets ``rate`` requests through at once, so up to twice the rate can land in one
    second; measured with ``AsyncLimiter(1, 1/rate)``, its gaps came out 2-3% short).
    A host that counts requests in any one-second window then never sees more than the
    rate. Clock and sleep are injectable."""

    def __init__(self, interval: float, clock: Clock, sleep: Sleep) -> None:
        self.interval, self._clock, self._sleep = interval, clock, sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:  # waiters queue in order; the one at the head sleeps
            wait = self._next - self._clock()
            if wait > 0:
                await self._sleep(wait)
            self._next = max(self._clock(), self._next) + self.interval


@dataclass
class HostGate:
    """One host's caps, shared by every worker: request spacing, requests in flight at
    once, and a pause asked for by a 429's Retry-After."""

    spacer: Spacer
    slots: asyncio.Semaphore
    paused_until: float = 0.0
    requests: int = 0


def parse_retry_after(value: str | None, now_wall: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now_wall)


# The client is shared by every account: a shared cookie jar would hand one attorney's
# court session to another. Cookies are kept per row by the caller and sent explicitly;
# the client's own jar accepts none. (httpx copies a jar given to its constructor into a
# jar of its own, so the policy is set on the client's jar after creation.)
_ACCEPT_NO_COOKIES = http.cookiejar.DefaultCookiePolicy(allowed_domains=[])


@dataclass
class PoliteClient:
    settings: Settings
    env: Environment
    transport: httpx.AsyncBaseTransport | None = None
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    wall_clock: Clock = time.time
    rng: random.Random = field(default_factory=random.Random)
    _gates: dict[str, HostGate] = field(default_factory=dict, init=False)
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict, init=False)
    #: One TLS context for every host (loading the CA bundle takes ~20 ms): made once,
    #: before the first request, so no request is held up between its turn and its send.
    _tls: ssl.SSLContext = field(default_factory=lambda: ssl.create_default_context(cafile=certifi.where()))

    def _client(self, host: str) -> httpx.AsyncClient:
        """One HTTP client per host. Each keeps as many connections as the host's gate lets
        requests through at once, so every request finds an idle connection, and httpcore's
        pool, which scans all its connections on every request, stays a few entries long."""
        client = self._clients.get(host)
        if client is None:
            s = self.settings
            n = s.per_host_concurrency
            client = httpx.AsyncClient(
                transport=self.transport,
                timeout=httpx.Timeout(s.read_seconds, connect=s.connect_seconds),
                verify=self._tls,  # always verified: production is real PACER
                follow_redirects=False,  # a 302 to the PACER login page means "session expired"
                limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
                headers={"User-Agent": "pacer-link/0.1 (bulk CM/ECF account linking)"},
            )
            client.cookies.jar.set_policy(_ACCEPT_NO_COOKIES)
            self._clients[host] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    def gate(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            rate = self.env.login_per_second if host == LOGIN_HOST else self.env.court_per_second
            spacer = Spacer(RATE_MARGIN / rate, self.clock, self.sleep)
            gate = HostGate(spacer, asyncio.Semaphore(self.settings.per_host_concurrency))
            self._gates[host] = gate
        return gate

    def requests_sent(self) -> Mapping[str, int]:
        return {host: gate.requests for host, gate in self._gates.items()}

    async def request(
        self,
        host: str,
        method: str,
        url: str,
        *,
        idempotent: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request politely. A non-idempotent one (a form post) is retried only
        after a 429, which the server answers before acting on it; after a timeout or a
        5xx the form may have been acted on, so the caller starts its flow over instead."""
        s = self.settings

        def retryable(exc: BaseException) -> bool:
            return isinstance(exc, TransientError) and (idempotent or exc.status == 429)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.retry_attempts + 1),
            wait=self._wait,
            retry=retry_if_exception(retryable),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(host, method, url, **kwargs)
        except TransientError as exc:
            if not retryable(exc):
                raise
            raise GaveUp(f"{exc.reason} (tried {s.retry_attempts + 1} times)") from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return 0.0  # the host's gate is paused for the Retry-After; _once waits on it
        s = self.settings
        ceiling = min(s.retry_max_wait, s.retry_initial_wait * 2 ** (state.attempt_number - 1))
        return self.rng.uniform(ceiling / 2, ceiling)  # jitter: workers do not retry in step

    async def _wait_for_pause(self, gate: HostGate) -> None:
        while (delay := gate.paused_until - self.clock()) > 0:
            await self.sleep(delay)

    async def _once(self, host: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        gate = self.gate(host)
        await self._wait_for_pause(gate)
        async with gate.slots:
            await self._wait_for_pause(gate)  # a 429 may have paused the host while we queued
            await gate.spacer.acquire()
            gate.requests += 1
            try:
                response = await self._client(host).request(method, url, **kwargs)
            except httpx.TimeoutException:
                raise TransientError(f"{host}: no answer in time") from None
            except httpx.TransportError as exc:
                raise TransientError(f"{host}: connection failed ({type(exc).__name__})") from None
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"), self.wall_clock())
            wait = 1.0 if wait is None else wait
            if wait > self.settings.max_retry_after:
                raise GaveUp(f"{host}: asked to wait {wait:.0f} s (Retry-After), longer than allowed")
            # Every worker waits: the host asked us, not one request, to slow down.
            gate.paused_until = max(gate.paused_until, self.clock() + wait)
            raise TransientError(f"{host}: too many requests (429)", status=429, retry_after=wait)
        if response.status_code >= 500:
            raise TransientError(f"{host}: server error {response.status_code}", status=response.status_code)
        return response
