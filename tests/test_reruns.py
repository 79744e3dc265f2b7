"""Reruns and crash safety, with real processes: Ctrl-C, SIGKILL at random moments, edited sheets."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import (
    REPO,
    run_against,
    sandbox_from,
    synthetic_accounts,
    toml_directory,
    write_xlsx,
)

from batch.bench import Sandbox, write_local_config

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _directory(n: int, courts: list[str], faults: dict) -> tuple[str, list[list[str]]]:
    pacer, cmecf, rows = synthetic_accounts(n, courts, prefix="rerun")
    return toml_directory(pacer, cmecf, faults=faults), rows


def _config(tmp_path: Path, url: str, concurrency: int = 4) -> Path:
    fast_retries = (
        "[retries]\ninitial_wait_seconds = 0.01\nmax_wait_seconds = 0.05\nattempts = 6\nflow_attempts = 4\n"
    )
    return write_local_config(
        tmp_path / "test.toml",
        url,
        name="local",
        concurrency=concurrency,
        per_host_concurrency=2,
        login_rate=200,
        court_rate=200,
        extra=fast_retries,
    )


def _run(wb: Path, config: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "batch", "run", str(wb), "--env", "local", "--config", str(config)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=wb.parent)


def _outcomes(results: Path) -> list[str]:
    rows = list(openpyxl.load_workbook(results)["Results"].iter_rows(values_only=True))
    column = rows[0].index("outcome")
    return [r[column] for r in rows[1:]]


def _count_events(log: Path, event: str) -> int:
    if not log.exists():
        return 0
    return log.read_bytes().count(f'"event": "{event}"'.encode())


def _counters_and_reset(sandbox: Sandbox) -> dict:
    import httpx

    counters = sandbox.counters()
    httpx.post(f"{sandbox.url}/_sandbox/reset-counters")
    return counters


def test_edited_reordered_sheet_retries_only_what_changed(tmp_path: Path):
    text, rows = _directory(4, ["alsd"], {})
    correct = rows[1][5]
    rows[1][5] = "Ecf-Typo-Password-1"  # row 3: a wrong CM/ECF password
    wb = write_xlsx(tmp_path / "sheet.xlsx", rows)
    with sandbox_from(text) as server:
        first = run_against(server, wb)
        assert [str(x.outcome) for x in first.report.lines] == [
            "linked",
            "ecf_bad_credentials",
            "linked",
            "linked",
        ]
        # A person fixes nothing yet, reorders the sheet and inserts a title row: nothing is resent.
        server.state.reset_counters()
        book = openpyxl.Workbook()
        book.active.append(["Linking, second try"])
        for r in [
            ["attorney_name", "pacer_username", "pacer_password", "court", "cmecf_login", "cmecf_password"],
            rows[3],
            rows[1],
            rows[0],
            rows[2],
        ]:
            book.active.append(r)
        book.save(wb)
        second = run_against(server, wb)
        assert second.counters["logins"] == {} and second.counters["bad_credential_submissions"] == {}
        assert [(x.row, str(x.outcome)) for x in second.report.lines] == [
            (3, "linked"),
            (4, "ecf_bad_credentials"),
            (5, "linked"),
            (6, "linked"),
        ]
        # Now the password is corrected: only that row is sent, and it links.
        book.active.cell(row=4, column=6, value=correct)
        book.save(wb)
        server.state.reset_counters()
        third = run_against(server, wb)
    assert third.counters["logins"] == {"rerun0001": 1}
    assert [str(x.outcome) for x in third.report.lines] == ["linked"] * 4
    assert third.report.exit_code == 0
    assert next(x for x in third.report.lines if x.row == 4).runs == 2


def test_ctrl_c_writes_results_marks_interrupted_then_a_rerun_finishes(tmp_path: Path):
    text, rows = _directory(12, ["alsd", "nysd"], {"latency_ms": 60})
    (tmp_path / "d.toml").write_text(text)
    wb = write_xlsx(tmp_path / "cc.xlsx", rows)
    sandbox = Sandbox(tmp_path / "d.toml", tmp_path)
    try:
        config = _config(tmp_path, sandbox.url, concurrency=2)
        proc = _run(wb, config)
        log = tmp_path / "cc.log.jsonl"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not log.exists() or b"row_finished" not in log.read_bytes()):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err.decode()
        outcomes = _outcomes(tmp_path / "cc.results.xlsx")
        assert "interrupted" in outcomes and "linked" in outcomes
        assert set(outcomes) <= {"linked", "interrupted"}
        finished = [json.loads(x) for x in log.read_text().splitlines() if '"row_finished"' in x]
        assert sorted(e["row"] for e in finished) == list(range(2, 26))  # every row, once
        rerun = _run(wb, config)
        rerun.communicate(timeout=120)
        assert rerun.returncode == 0
        counters = sandbox.counters()
        assert counters["double_links"] == [] and len(counters["links"]) == 24
    finally:
        sandbox.stop()


@pytest.mark.slow
def test_sigkill_at_random_moments_never_links_twice_nor_loses_a_row(tmp_path: Path):
    text, rows = _directory(
        16,
        ["alsd", "nysb", "ca11"],
        {"seed": 11, "latency_ms": 70, "error_rate": 0.05, "drop_after_confirm": 0.3},
    )
    (tmp_path / "d.toml").write_text(text)
    wb = write_xlsx(tmp_path / "kill.xlsx", rows)
    sandbox = Sandbox(tmp_path / "d.toml", tmp_path)
    rng = random.Random(5)
    journal = tmp_path / "kill.journal.sqlite"
    try:
        config = _config(tmp_path, sandbox.url, concurrency=2)
        log = tmp_path / "kill.log.jsonl"
        landed = 0  # kills that hit a live process after its run had begun
        for _ in range(8):
            started = _count_events(log, "run_started")
            proc = _run(wb, config)
            # Wait for the run to begin (interpreter start-up varies a lot on a busy machine),
            # then kill it at a random moment of its linking.
            deadline = time.monotonic() + 30
            while _count_events(log, "run_started") == started and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.1, 1.5))
            if proc.poll() is None:
                landed += 1
            proc.kill()  # SIGKILL: no cleanup at all
            proc.wait()
            counters = _counters_and_reset(sandbox)
            assert counters["double_links"] == []
            assert all(n <= 1 for n in counters["logins"].values()), counters[
                "logins"
            ]  # one per account per run
        for _ in range(4):  # then let it finish, rerunning what gave up
            proc = _run(wb, config)
            proc.communicate(timeout=120)
            counters = _counters_and_reset(sandbox)
            assert counters["double_links"] == []
            assert all(n <= 1 for n in counters["logins"].values())
            if proc.returncode == 0:
                break
        assert proc.returncode == 0
    finally:
        sandbox.stop()
    db = sqlite3.connect(journal)
    assert {o for (o,) in db.execute("SELECT outcome FROM rows")} == {"linked"}
    assert db.execute("SELECT count(*) FROM rows").fetchone()[0] == 48
    # No finished row was redone: no attempt began after the row's first done outcome.
    redone = db.execute("""
        SELECT count(*) FROM attempts a JOIN (
            SELECT identity, min(id) AS done_id FROM attempts
            WHERE outcome IN ('linked', 'already_linked') GROUP BY identity) d
        ON a.identity = d.identity AND a.id > d.done_id""").fetchone()[0]
    assert redone == 0
    # The kills really landed mid-run: runs that never ended, some with rows in flight.
    unended = db.execute("SELECT count(*) FROM runs WHERE ended_at IS NULL").fetchone()[0]
    # (8 of 8 on a quiet machine and with both cores busy; a kill can still, rarely, come
    # after the run has ended.)
    assert unended >= 4, f"only {unended} runs were cut off ({landed} processes killed alive)"
    assert _outcomes(tmp_path / "kill.results.xlsx") == ["linked"] * 48
    events = [
        json.loads(line) for line in (tmp_path / "kill.log.jsonl").read_text().splitlines() if line.strip()
    ]
    assert any(e["event"] == "run_finished" for e in events)


def test_a_second_ctrl_c_stops_at_once_and_still_writes_the_results(tmp_path: Path):
    # Slow answers keep rows in flight long after the first Ctrl-C: only the second stops them.
    text, rows = _directory(10, ["alsd", "nysd"], {"latency_ms": 800})
    (tmp_path / "d.toml").write_text(text)
    wb = write_xlsx(tmp_path / "cc2.xlsx", rows)
    sandbox = Sandbox(tmp_path / "d.toml", tmp_path)
    try:
        proc = _run(wb, _config(tmp_path, sandbox.url, concurrency=2))
        log = tmp_path / "cc2.log.jsonl"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not log.exists() or b"pacer_login" not in log.read_bytes()):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - started
    finally:
        sandbox.stop()
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert b"Stopping now" in err  # the second Ctrl-C landed while rows were in flight
    assert took < 5  # at once: not after the rows' slow answers
    outcomes = _outcomes(tmp_path / "cc2.results.xlsx")
    assert len(outcomes) == 20 and set(outcomes) == {"interrupted"}


def test_a_renamed_copy_of_the_sheet_does_not_resend_rejected_passwords(tmp_path: Path):
    from batch.run import OutputError

    text, rows = _directory(3, ["alsd"], {})
    rows[1][5] = "Ecf-Typo-Password-1"  # rejected by the court
    wb = write_xlsx(tmp_path / "sheet.xlsx", rows)
    with sandbox_from(text) as server:
        first = run_against(server, wb)
        assert [str(x.outcome) for x in first.report.lines] == ["linked", "ecf_bad_credentials", "linked"]
        server.state.reset_counters()
        copy = tmp_path / "sheet-v2.xlsx"  # "Save As": a new name, so a new journal
        copy.write_bytes(wb.read_bytes())
        with pytest.raises(OutputError, match=r"1 row\(s\) .* rows 3 \(ecf_bad_credentials\)") as refused:
            run_against(server, copy)
        assert "sheet.journal.sqlite" in str(refused.value)
        assert server.state.counters()["logins"] == {}  # nothing was sent
        # Corrected in the copy, the row is no longer the rejected one: the copy runs.
        book = openpyxl.load_workbook(copy)
        book.active.cell(row=3, column=6, value="Ecf-Other-Try-2")
        book.save(copy)
        second = run_against(server, copy)
        # Asked for explicitly, the unchanged rejected row is sent again from a copy too.
        third_copy = tmp_path / "sheet-v3.xlsx"
        third_copy.write_bytes(wb.read_bytes())
        server.state.reset_counters()
        third = run_against(server, third_copy, retry_unchanged=True)
    assert second.report.lines[1].row == 3 and second.counters["logins"] != {}
    assert str(third.report.lines[1].outcome) == "ecf_bad_credentials"
    assert third.counters["bad_credential_submissions"] == {"alsd/re0001": 1}
