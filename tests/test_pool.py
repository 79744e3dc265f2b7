"""The polite pool: retries, Retry-After shared by all workers, no resend of a form post."""

from __future__ import annotations

import asyncio
from email.utils import formatdate

import httpx
import pytest

from batch.pool import GaveUp, PoliteClient, TransientError, parse_retry_after
from batch.settings import load_settings, resolve_environment


def _client(handler, *, attempts: int = 3, clock=None, sleep=None, **env_over) -> PoliteClient:
    settings = load_settings()
    from dataclasses import replace

    settings = replace(settings, retry_attempts=attempts, retry_initial_wait=0.01, retry_max_wait=0.02)
    env = resolve_environment(settings, "sandbox", port=9)
    env = replace(env, login_per_second=1e9, court_per_second=1e9, **env_over)  # no spacing waits
    kwargs = {}
    if clock:
        kwargs["clock"] = clock
    if sleep:
        kwargs["sleep"] = sleep
    return PoliteClient(settings, env, transport=httpx.MockTransport(handler), **kwargs)


def test_retries_5xx_then_succeeds_and_waits_with_jitter():
    calls = []
    waits: list[float] = []

    async def fake_sleep(s: float) -> None:
        waits.append(s)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503 if len(calls) < 3 else 200, text="ok")

    async def go():
        client = _client(handler, sleep=fake_sleep)
        response = await client.request("alsd", "GET", "http://127.0.0.1:9/x")
        await client.aclose()
        return response

    response = asyncio.run(go())
    assert response.status_code == 200 and len(calls) == 3
    assert len(waits) == 2 and all(0 < w <= 0.02 for w in waits)


def test_gives_up_after_bounded_attempts():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    async def go():
        client = _client(handler, attempts=2, sleep=lambda s: asyncio.sleep(0))
        with pytest.raises(GaveUp, match="no answer in time"):
            await client.request("alsd", "GET", "http://127.0.0.1:9/x")

    asyncio.run(go())
    assert len(calls) == 3  # one try and two retries, never more


def test_form_post_is_not_resent_after_5xx_or_timeout():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(502)

    async def go():
        client = _client(handler, sleep=lambda s: asyncio.sleep(0))
        with pytest.raises(TransientError):
            await client.request("alsd", "POST", "http://127.0.0.1:9/x", idempotent=False)

    asyncio.run(go())
    assert len(calls) == 1


def test_form_post_is_resent_after_429_which_the_server_did_not_act_on():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return httpx.Response(200)

    async def go():
        client = _client(handler)
        return await client.request("alsd", "POST", "http://127.0.0.1:9/x", idempotent=False)

    assert asyncio.run(go()).status_code == 200
    assert len(calls) == 2


def test_retry_after_pauses_the_host_for_every_worker():
    """One 429 with Retry-After: 1 pauses all workers on that host; other hosts go on."""
    sent: list[tuple[str, float]] = []

    async def go():
        loop = asyncio.get_running_loop()
        first = True

        def handler(request: httpx.Request) -> httpx.Response:
            nonlocal first
            sent.append((request.url.path, loop.time()))
            if first and request.url.path == "/a":
                first = False
                return httpx.Response(429, headers={"Retry-After": "1"})
            return httpx.Response(200)

        client = _client(handler, clock=loop.time)
        start = loop.time()

        async def later(host: str, path: str) -> httpx.Response:
            await asyncio.sleep(0.1)  # after /a got its 429: another worker, same host or not
            return await client.request(host, "GET", f"http://127.0.0.1:9{path}")

        results = await asyncio.gather(
            client.request("alsd", "GET", "http://127.0.0.1:9/a"),
            later("alsd", "/b"),
            later("nysd", "/c"),
        )
        await client.aclose()
        return start, results

    start, results = asyncio.run(go())
    assert all(r.status_code == 200 for r in results)
    times: dict[str, float] = {}
    for path, t in sent:
        times[path] = t - start  # the last send of each path
    assert times["/b"] >= 0.95  # waited out the Retry-After although it never saw the 429
    assert times["/c"] < 0.5  # another host is not held back


def test_retry_after_too_long_gives_up():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    async def go():
        client = _client(handler)
        with pytest.raises(GaveUp, match="Retry-After"):
            await client.request("alsd", "GET", "http://127.0.0.1:9/x")

    asyncio.run(go())


def test_parse_retry_after_seconds_and_http_date():
    assert parse_retry_after("7", 0) == 7
    now = 1_800_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_rate_limit_spaces_requests_per_host():
    async def go():
        loop = asyncio.get_running_loop()
        times: list[float] = []

        def handler(request: httpx.Request) -> httpx.Response:
            times.append(loop.time())
            return httpx.Response(200)

        from dataclasses import replace

        client = _client(handler)
        client.env = replace(client.env, court_per_second=20.0)
        await asyncio.gather(*(client.request("alsd", "GET", "http://127.0.0.1:9/") for _ in range(21)))
        return times

    times = asyncio.run(go())
    # 21 requests at 20/s: never more than 20 in any one-second window.
    assert max(sum(1 for u in times if t <= u < t + 1) for t in times) <= 20
    assert times[-1] - times[0] >= 0.95


def test_client_keeps_no_cookies_between_accounts():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Cookie", ""))
        return httpx.Response(200, headers={"Set-Cookie": "court_session=abc; Path=/"})

    async def go():
        client = _client(handler)
        await client.request("alsd", "GET", "http://127.0.0.1:9/")
        await client.request("alsd", "GET", "http://127.0.0.1:9/")

    asyncio.run(go())
    assert seen == ["", ""]


def test_spacer_spaces_requests_exactly_with_an_injected_clock():
    from batch.pool import Spacer

    now = [100.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(round(s, 6))
        now[0] += s

    async def go() -> list[float]:
        spacer = Spacer(0.25, lambda: now[0], sleep)
        times = []
        for _ in range(5):
            await spacer.acquire()
            times.append(now[0])
        return times

    times = asyncio.run(go())
    assert times == [100.0, 100.25, 100.5, 100.75, 101.0]
    assert slept == [0.25] * 4


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectTimeout]
)
def test_connection_resets_and_refusals_are_retried_then_given_up(error):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise error("connection reset by peer", request=request)

    async def go():
        client = _client(handler, attempts=2, sleep=lambda s: asyncio.sleep(0))
        with pytest.raises(GaveUp):
            await client.request("alsd", "GET", "http://127.0.0.1:9/x")

    asyncio.run(go())
    assert len(calls) == 3


def test_tls_is_always_verified():
    import ssl

    async def go():
        client = _client(lambda r: httpx.Response(200))
        assert client._tls.verify_mode is ssl.CERT_REQUIRED and client._tls.check_hostname

    asyncio.run(go())
