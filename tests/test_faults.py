"""Faults: 503 bursts, lost confirm answers, expiring tokens, a dead court, a slow court,
Retry-After as a date, refused connections, connections reset mid-run. Every outcome stays right."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import struct
import threading
from pathlib import Path

import httpx
from conftest import fast_settings, run_against, sandbox_from, synthetic_accounts, toml_directory, write_xlsx

from batch.run import RunOptions, run_job
from batch.settings import resolve_environment


def _accounts(n: int, courts: list[str]) -> tuple[list[dict], list[dict], list[list[str]]]:
    return synthetic_accounts(n, courts, prefix="fault")


def _setup(tmp_path: Path, n: int, courts: list[str], faults: dict, court_entries=()):
    pacer, cmecf, rows = _accounts(n, courts)
    wb = write_xlsx(tmp_path / "faults.xlsx", rows)
    return sandbox_from(toml_directory(pacer, cmecf, court_entries, faults)), wb


def test_bursts_of_503_and_lost_confirms_still_link_once(tmp_path: Path):
    server, wb = _setup(
        tmp_path, 8, ["alsd", "nysb", "ca11"], {"seed": 7, "error_rate": 0.15, "drop_after_confirm": 0.5}
    )
    with server:
        runs = [run_against(server, wb, settings=fast_settings(retry_attempts=6, flow_attempts=4))]
        # Faults that outlast the retry policy end gave_up, and a rerun is safe: rerun
        # (as a person would) until nothing is left to retry.
        while any(str(x.outcome) == "gave_up" for x in runs[-1].report.lines) and len(runs) < 4:
            runs.append(run_against(server, wb, settings=fast_settings(retry_attempts=6, flow_attempts=4)))
        counters = server.state.counters()
    final = runs[-1].report.lines
    assert {str(x.outcome) for x in final} == {"linked"}, [(x.row, x.detail) for x in final]
    assert counters["responses_503"] > 0 and counters["responses_502"] > 0
    assert counters["double_links"] == []
    assert len(counters["links"]) == 24 and set(counters["links"].values()) == {1}
    lost = [
        x for run in runs for x in run.report.lines if "the confirm sent earlier went through" in x.detail
    ]
    assert lost, "a lost confirm answer should be found by the filing menus on the next attempt"


def test_token_expiry_mid_flow_logs_in_again_and_links(tmp_path: Path):
    # A district row takes six court requests; the token dies after five, in mid-flow,
    # just before the filing menus are checked.
    server, wb = _setup(tmp_path, 4, ["alsd"], {"token_ttl_requests": 5})
    with server:
        job = run_against(server, wb)
    assert {str(x.outcome) for x in job.report.lines} == {"linked"}
    assert job.counters["double_links"] == []
    assert set(job.counters["logins"].values()) == {2}  # one login, one re-login after the expiry


def test_a_session_that_keeps_expiring_ends_gave_up_after_one_new_login(tmp_path: Path):
    # Every token dies at the credentials post. The row logs in again once and starts over
    # (the form's one-time token belonged to the old session); the second expiry is gave_up
    # (link-protocol.md section 2), however many tries flow_attempts would allow.
    server, wb = _setup(tmp_path, 2, ["nysb"], {"token_ttl_requests": 3})
    with server:
        job = run_against(server, wb, settings=fast_settings(flow_attempts=5))
    assert {str(x.outcome) for x in job.report.lines} == {"gave_up"}
    assert all("login page again after a new login" in x.detail for x in job.report.lines)
    assert all(x.attempts == 2 for x in job.report.lines)
    assert set(job.counters["logins"].values()) == {2}  # the first login and one new login


def test_a_dead_court_is_put_aside_and_does_not_starve_the_others(tmp_path: Path):
    server, wb = _setup(tmp_path, 10, ["nysd", "alsd"], {}, court_entries=[{"id": "nysd", "down": True}])
    with server:
        job = run_against(
            server, wb, settings=fast_settings(retry_attempts=2, circuit_failures=3, concurrency=2)
        )
    by_court = {}
    for x in job.report.lines:
        by_court.setdefault(x.court, set()).add(str(x.outcome))
    assert by_court == {"nysd": {"gave_up"}, "alsd": {"linked"}}
    put_aside = [x for x in job.report.lines if "put aside" in x.detail]
    assert put_aside, "after 3 failures in a row the court's other rows end at once"
    # The dead court got few requests: 3 rows x (1 + 2 retries), the rest were put aside.
    assert job.counters["requests"]["nysd"] <= 3 * 3 + 2 * 3
    log = [json.loads(line) for line in job.report.paths.log.read_text().splitlines()]
    assert any("put aside" in e.get("detail", "") for e in log if e["event"] == "row_finished")


def test_a_slow_court_times_out_while_the_others_link(tmp_path: Path):
    server, wb = _setup(tmp_path, 2, ["alsd", "nysd"], {}, court_entries=[{"id": "nysd", "latency_ms": 1500}])
    with server:
        job = run_against(server, wb, settings=fast_settings(read_seconds=0.3, retry_attempts=1))
    got = {x.court: str(x.outcome) for x in job.report.lines}
    assert got == {"alsd": "linked", "nysd": "gave_up"}
    assert all("no answer in time" in x.detail for x in job.report.lines if x.court == "nysd")


def test_retry_after_as_an_http_date(tmp_path: Path):
    server, wb = _setup(tmp_path, 4, ["alsd"], {"rate_limit": 3, "retry_after": "date"})
    with server:
        job = run_against(server, wb, court_per_second=50)
    assert {str(x.outcome) for x in job.report.lines} == {"linked"}
    assert job.counters["responses_429"] > 0


def test_refused_connection_ends_gave_up_not_a_crash(tmp_path: Path):
    _, _, rows = _accounts(2, ["alsd"])
    wb = write_xlsx(tmp_path / "refused.xlsx", rows)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    settings = fast_settings(retry_attempts=1)
    env = resolve_environment(settings, "sandbox", port=port)
    report = asyncio.run(run_job(RunOptions(workbook=wb), settings, env))
    assert {str(x.outcome) for x in report.lines} == {"gave_up"}
    assert all("connection failed" in x.detail for x in report.lines)
    assert report.exit_code == 1


class ResettingProxy:
    """A loopback TCP proxy in front of the sandbox that answers a share of the client's
    writes with a TCP reset (RST, via SO_LINGER 0) instead of forwarding them: the
    "connection reset by peer" of a flaky VPN or firewall, over a real socket. A reset
    request never reaches the sandbox, as when a middlebox drops it."""

    def __init__(self, upstream_port: int, share: float, seed: int) -> None:
        self._upstream = upstream_port
        self._share = share
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.resets = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self._upstream))
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while data := src.recv(65536):
                if from_client and self._reset_now():
                    src.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            s.close()

    def _reset_now(self) -> bool:
        with self._lock:
            if self._rng.random() < self._share:
                self.resets += 1
                return True
            return False

    def close(self) -> None:
        self._listener.close()


def test_connection_resets_mid_run_over_real_sockets_keep_every_outcome_right(tmp_path: Path):
    server, wb = _setup(tmp_path, 6, ["alsd", "nysb", "ca11"], {})
    settings = fast_settings(retry_attempts=6, flow_attempts=4)
    with server:
        proxy = ResettingProxy(server.port, share=0.08, seed=3)
        env = resolve_environment(settings, "sandbox", port=proxy.port)
        try:
            reports = [asyncio.run(run_job(RunOptions(workbook=wb), settings, env))]
            # A reset that outlasts the retry policy ends gave_up; a rerun picks it up.
            while reports[-1].exit_code != 0 and len(reports) < 4:
                reports.append(asyncio.run(run_job(RunOptions(workbook=wb), settings, env)))
        finally:
            proxy.close()
        counters = server.state.counters()
    assert proxy.resets >= 5, "the proxy should really have reset connections"
    assert {str(x.outcome) for x in reports[-1].lines} == {"linked"}, [x.detail for x in reports[-1].lines]
    assert counters["double_links"] == [] and len(counters["links"]) == 18


class RecordingTransport(httpx.AsyncBaseTransport):
    """Real HTTP over loopback, noting the encoding of every form post."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.post_types: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "/services/" not in request.url.path:
            self.post_types.append(request.headers.get("Content-Type", "").split(";")[0])
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_forms_are_posted_as_multipart_even_when_the_page_does_not_say(tmp_path: Path, monkeypatch):
    # link-protocol.md section 4: the client posts multipart/form-data, the encoding CM/ECF
    # forms use, whatever the form declares (a page without ENCTYPE means urlencoded in HTML).
    from batch.sandbox import pages

    for name in ("credentials_form", "verify_page"):
        page = getattr(pages, name)
        monkeypatch.setattr(
            pages, name, lambda *a, _page=page: _page(*a).replace(' ENCTYPE="multipart/form-data"', "")
        )
    server, wb = _setup(tmp_path, 2, ["alsd", "ca11"], {})
    transport = RecordingTransport()
    with server:
        settings = fast_settings()
        env = resolve_environment(settings, "sandbox", port=server.port)
        report = asyncio.run(run_job(RunOptions(workbook=wb), settings, env, transport=transport))
    assert {str(x.outcome) for x in report.lines} == {"linked"}
    assert transport.post_types and set(transport.post_types) == {"multipart/form-data"}
