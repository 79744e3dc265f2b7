"""Manners on the wire, proven by the sandbox's own counters: one login per account, no host
above its rate, Retry-After honoured by every worker, no resend of a rejected password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, fast_settings, run_against, sandbox_from, toml_directory, write_xlsx

from batch.bench import Sandbox, write_local_config
from batch.bench_workload import make_workload
from batch.sandbox.directory import load_directory
from batch.sandbox.server import SandboxServer


def test_no_host_above_its_rate_in_any_second(tmp_path: Path):
    # A real run, as a user starts it, against the sandbox in a process of its own, as a
    # court would be: arrival times measured inside the test process would carry the whole
    # suite's heap and its garbage-collector pauses, not the client's pacing.
    w = make_workload(tmp_path, rows=24, courts=4, per_account=2, latency_ms=0, rate_limit=0)
    sandbox = Sandbox(w.directory, tmp_path)
    try:
        config = write_local_config(
            tmp_path / "rate.toml",
            sandbox.url,
            name="local",
            concurrency=12,
            per_host_concurrency=4,
            login_rate=20,
            court_rate=15,
        )
        cmd = [
            sys.executable,
            "-m",
            "batch",
            "run",
            str(w.workbook),
            "--env",
            "local",
            "--config",
            str(config),
        ]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}
        )
        counters = sandbox.counters()
    finally:
        sandbox.stop()
    assert proc.returncode == 0, proc.stderr  # every row linked
    courts = {h: n for h, n in counters["max_rate"].items() if h != "login"}
    assert len(courts) == 4
    assert max(courts.values()) <= 15, courts  # the configured rate, never exceeded
    assert counters["max_rate"]["login"] <= 20
    assert set(counters["logins"].values()) == {1}


def test_retry_after_is_honoured_by_every_worker(tmp_path: Path):
    w = make_workload(tmp_path, rows=16, courts=2, per_account=2, latency_ms=0, rate_limit=6)
    with SandboxServer(load_directory(w.directory)) as server:
        server.state.trace = []
        # The client asks faster than the sandbox allows: enough retries that no row runs out.
        settings = fast_settings(concurrency=8, per_host_concurrency=4, retry_attempts=12)
        job = run_against(server, w.workbook, settings=settings, court_per_second=40)
        trace = list(server.state.trace)
    assert all(str(line.outcome) == "linked" for line in job.report.lines)
    assert job.counters["responses_429"] > 0  # the client asked faster than the sandbox allows
    assert job.counters["double_links"] == []
    # After a 429 (Retry-After: 1) on a host, the only requests to that host within the
    # next second are those already on their way when it was sent.
    for host, t, status in trace:
        if status != 429:
            continue
        soon = [u for h, u, s in trace if h == host and s == 0 and t + 0.15 < u < t + 0.9]
        assert len(soon) <= 4, (host, t, soon)  # at most per_host_concurrency in flight


def test_a_rejected_password_is_never_sent_again(tmp_path: Path):
    directory = toml_directory(
        pacer=[
            {"username": "wrongpw01", "password": "Right-Pacer-Pass-1", "name": "Ann Wrong"},
            {"username": "wrongecf01", "password": "Right-Pacer-Pass-2", "name": "Ben Wrong"},
        ],
        cmecf=[
            {"court": "alsd", "login": "awrong", "password": "Right-Ecf-Pass-111", "name": "Wrong, Ann"},
            {"court": "nysd", "login": "awrong", "password": "Right-Ecf-Pass-222", "name": "Wrong, Ann"},
            {"court": "alsd", "login": "bwrong", "password": "Right-Ecf-Pass-333", "name": "Wrong, Ben"},
        ],
        faults={"seed": 3, "error_rate": 0.2},  # transient errors must not turn into resends
    )
    wb = write_xlsx(
        tmp_path / "w.xlsx",
        [
            ["Ann Wrong", "wrongpw01", "Typo-Pacer-Pass-1", "alsd", "awrong", "Right-Ecf-Pass-111"],
            ["Ann Wrong", "wrongpw01", "Typo-Pacer-Pass-1", "nysd", "awrong", "Right-Ecf-Pass-222"],
            ["Ben Wrong", "wrongecf01", "Right-Pacer-Pass-2", "alsd", "bwrong", "Typo-Ecf-Pass-3333"],
        ],
    )
    with sandbox_from(directory) as server:
        first = run_against(server, wb)
        second = run_against(server, wb)
        third = run_against(server, wb, retry_unchanged=True)
    assert [str(x.outcome) for x in first.report.lines] == [
        "pacer_bad_credentials",
        "pacer_bad_credentials",
        "ecf_bad_credentials",
    ]
    assert first.counters["bad_logins"] == {"wrongpw01": 1}  # one login for both rows, never retried
    assert first.counters["bad_credential_submissions"] == {"alsd/bwrong": 1}
    assert second.counters["bad_logins"] == {"wrongpw01": 1}  # the rerun did not send them again
    assert second.counters["bad_credential_submissions"] == {"alsd/bwrong": 1}
    assert third.counters["bad_logins"] == {"wrongpw01": 2}  # only when asked to
    assert third.counters["bad_credential_submissions"] == {"alsd/bwrong": 2}
