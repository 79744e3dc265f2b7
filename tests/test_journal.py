"""The journal: rerun decisions, identity across edits, secrets never stored, one writer,
nothing committed lost to a kill."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from batch.accounts import AccountRow, Secret
from batch.journal import SCHEMA_VERSION, Decision, Journal, JournalError
from batch.outcomes import Outcome, RowResult

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CANARY_PW, CANARY_ECF, CANARY_OTP = "CANARY-pacer-pw-7f3a", "CANARY-ecf-pw-91bd", "CANARYSECRETAAAA"
FIX_OUTCOMES = [o for o in Outcome if o.kind == "fix"]


def row(
    n: int = 2,
    *,
    pw: str = CANARY_PW,
    ecf: str = CANARY_ECF,
    otp: str | None = CANARY_OTP,
    name: str = "Jane Doe",
    court: str = "alsd",
    login: str = "jdoe",
    user: str = "jdoe2019a",
    client: str = "",
) -> AccountRow:
    return AccountRow(
        n, name, user, Secret(pw), court, login, Secret(ecf), Secret(otp) if otp else None, client
    )


def finish(j: Journal, r: AccountRow, outcome: Outcome, run: str = "run1", *, attempts: int = 1) -> int:
    attempt = j.begin_attempt(r, run)
    j.mark_step(attempt, "credentials")
    result = RowResult(outcome, f"{outcome} detail", attempts=attempts)
    j.finish_row(r, run, result, attempt_id=attempt, finished_at=NOW)
    return attempt


def decision(j: Journal, r: AccountRow, *, retry_unchanged: bool = False) -> Decision:
    return j.decide(r, retry_unchanged=retry_unchanged)[0]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "j.journal.sqlite") as j:
        yield j


# -- the rerun rules of contract.md ---------------------------------------------------


def test_never_attempted_is_sent(journal: Journal) -> None:
    assert journal.decide(row(), retry_unchanged=False) == (Decision.SEND, None)


@pytest.mark.parametrize("outcome", [Outcome.LINKED, Outcome.ALREADY_LINKED])
@pytest.mark.parametrize("changed", [{}, {"pw": "corrected-pw-1"}, {"ecf": "new-ecf"}, {"otp": None}])
def test_done_rows_are_never_resent_whatever_changed(
    journal: Journal, outcome: Outcome, changed: dict
) -> None:
    finish(journal, row(), outcome)
    for retry_unchanged in (False, True):
        assert decision(journal, row(**changed), retry_unchanged=retry_unchanged) is Decision.SKIP_DONE


def test_done_beats_a_stray_confirm_flag(journal: Journal) -> None:
    # Even if a confirm were recorded after the link (it should not be), the row is never resent.
    finish(journal, row(), Outcome.LINKED)
    journal.mark_confirm_sent(journal.begin_attempt(row(), "run2"))
    assert decision(journal, row()) is Decision.SKIP_DONE


@pytest.mark.parametrize("outcome", [Outcome.GAVE_UP, Outcome.INTERRUPTED])
def test_retry_rows_are_resent_unchanged(journal: Journal, outcome: Outcome) -> None:
    finish(journal, row(), outcome)
    d, rec = journal.decide(row(), retry_unchanged=False)
    assert d is Decision.SEND and rec is not None and rec.outcome is outcome


@pytest.mark.parametrize("outcome", FIX_OUTCOMES)
def test_fix_rows_unchanged_are_skipped(journal: Journal, outcome: Outcome) -> None:
    finish(journal, row(), outcome)
    d, rec = journal.decide(row(), retry_unchanged=False)
    assert d is Decision.SKIP_UNCHANGED and rec is not None and rec.outcome is outcome


@pytest.mark.parametrize(
    "change",
    [{"pw": "corrected-pacer-pw"}, {"ecf": "corrected-ecf-pw"}, {"otp": "JBSWY3DPEHPK3PXP"}, {"otp": None},
     {"client": "matter-9"}, {"login": "JDOE"}],  # same identity (case-folded), different login as sent
)  # fmt: skip
def test_fix_rows_changed_are_resent(journal: Journal, change: dict) -> None:
    finish(journal, row(), Outcome.ECF_BAD_CREDENTIALS)
    assert decision(journal, row(**change)) is Decision.SEND


def test_fix_rows_unchanged_are_resent_with_retry_unchanged(journal: Journal) -> None:
    finish(journal, row(), Outcome.PACER_BAD_CREDENTIALS)
    assert decision(journal, row(), retry_unchanged=True) is Decision.SEND
    assert decision(journal, row(), retry_unchanged=False) is Decision.SKIP_UNCHANGED


def test_attorney_name_is_not_a_change(journal: Journal) -> None:
    finish(journal, row(name="Jane Doe"), Outcome.NAME_MISMATCH)
    assert decision(journal, row(name="Jane Q. Doe")) is Decision.SKIP_UNCHANGED
    assert journal.fingerprint(row(name="Jane Doe")) == journal.fingerprint(row(name="Jane Q. Doe"))


def test_fingerprint_fields_cannot_be_split_differently(journal: Journal) -> None:
    # Adjacent fields: pacer_username then pacer_password. "ab"+"c" must differ from "a"+"bc".
    assert journal.fingerprint(row(user="jdoe2019a", pw="xpw")) != journal.fingerprint(
        row(user="jdoe2019", pw="axpw")
    )


def test_a_sent_confirm_means_send_until_a_done_outcome(journal: Journal) -> None:
    r = row()
    attempt = journal.begin_attempt(r, "run1")
    assert not journal.confirm_pending(r)
    journal.mark_confirm_sent(attempt)  # no record yet: the confirm alone makes one
    assert journal.confirm_pending(r) and decision(journal, r) is Decision.SEND
    rec = journal.record(r)
    assert rec is not None and rec.outcome is None
    journal.finish_row(
        r, "run1", RowResult(Outcome.GAVE_UP, "502", 1, True), attempt_id=attempt, finished_at=NOW
    )
    assert journal.confirm_pending(r)
    finish(journal, r, Outcome.ECF_BAD_CREDENTIALS, "run2")  # a fix outcome keeps it: still SEND
    assert journal.confirm_pending(r) and decision(journal, r) is Decision.SEND
    finish(journal, r, Outcome.LINKED, "run3")
    assert not journal.confirm_pending(r) and decision(journal, r) is Decision.SKIP_DONE


def test_confirm_sent_in_a_result_alone_sets_pending(journal: Journal) -> None:
    r = row()
    attempt = journal.begin_attempt(r, "run1")
    journal.finish_row(
        r, "run1", RowResult(Outcome.GAVE_UP, "t", 1, True), attempt_id=attempt, finished_at=NOW
    )
    assert journal.confirm_pending(r)


# -- identity ----------------------------------------------------------------------


def test_identity_is_not_the_row_number(journal: Journal) -> None:
    finish(journal, row(n=2), Outcome.LINKED)
    finish(journal, row(n=3, login="other"), Outcome.ECF_LOCKED_OUT)
    # The sheet reordered and a row inserted above: same identities, new row numbers.
    assert decision(journal, row(n=41)) is Decision.SKIP_DONE
    assert decision(journal, row(n=2, login="other")) is Decision.SKIP_UNCHANGED
    assert decision(journal, row(n=2, court="nysd")) is Decision.SEND  # another court: another row
    assert decision(journal, row(n=2, user="JDOE2019A", login="JDoe")) is Decision.SKIP_DONE  # case-folded
    assert set(journal.records()) == {"alsd|jdoe|jdoe2019a", "alsd|other|jdoe2019a"}


# -- counting, persistence, summaries ------------------------------------------------


def test_counts_attempts_and_runs_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "c.journal.sqlite"
    with Journal.open(path) as j:
        finish(j, row(), Outcome.GAVE_UP, "run1", attempts=3)
        finish(j, row(login="x"), Outcome.ECF_BAD_CREDENTIALS, "run1")
        before = j.records()
    with Journal.open(path) as j:
        assert j.records() == before
        assert decision(j, row(login="x")) is Decision.SKIP_UNCHANGED  # the key survived too
        finish(j, row(), Outcome.LINKED, "run2", attempts=2)
        rec = j.record(row())
    assert rec is not None
    assert (rec.outcome, rec.attempts, rec.runs, rec.run_id, rec.finished_at) == (
        Outcome.LINKED, 5, 2, "run2", NOW)  # fmt: skip


def test_nothing_sent_does_not_count_as_a_run(journal: Journal) -> None:
    r = row()
    attempt = journal.begin_attempt(r, "run1")  # queued, then the court was put aside
    journal.finish_row(
        r, "run1", RowResult(Outcome.GAVE_UP, "court down", 0), attempt_id=attempt, finished_at=NOW
    )
    rec = journal.record(r)
    assert rec is not None and (rec.attempts, rec.runs) == (0, 0)
    assert journal.run_summary("run1")["sent"] == 0


def test_times_are_stored_as_utc_iso(tmp_path: Path) -> None:
    path = tmp_path / "t.journal.sqlite"
    eastern = datetime(2026, 11, 25, 7, 0, tzinfo=timezone(timedelta(hours=-5)))
    with Journal.open(path) as j:
        j.begin_run(
            "run1", environment="sandbox", input_path="a.xlsx", input_sha256="0" * 64, started_at=eastern
        )
        r = row()
        j.finish_row(r, "run1", RowResult(Outcome.LINKED, "ok", 1), attempt_id=None, finished_at=eastern)
        rec = j.record(r)
    assert rec is not None and rec.finished_at == NOW and rec.finished_at.utcoffset() == timedelta(0)
    db = sqlite3.connect(path)
    assert db.execute("SELECT started_at FROM runs").fetchone()[0] == "2026-11-25T12:00:00+00:00"
    assert db.execute("SELECT finished_at FROM rows").fetchone()[0] == "2026-11-25T12:00:00+00:00"
    db.close()


def test_run_summary_says_what_this_run_did(journal: Journal) -> None:
    a, b, c, d = row(login="a"), row(login="b"), row(login="c"), row(login="d")
    finish(journal, a, Outcome.GAVE_UP, "run1")
    finish(journal, b, Outcome.ECF_BAD_CREDENTIALS, "run1")
    finish(journal, c, Outcome.LINKED, "run1")
    journal.begin_run("run2", environment="sandbox", input_path="x", input_sha256="0" * 64, started_at=NOW)
    finish(journal, a, Outcome.LINKED, "run2")  # retried
    finish(journal, d, Outcome.ALREADY_LINKED, "run2")  # new
    journal.begin_attempt(b, "run2")  # queued, never started: interrupted, not sent
    journal.mark_unfinished_interrupted("run2", [b], NOW)
    assert journal.run_summary("run2") == {
        "sent": 2, "retried": 1, "linked_now": 1, "linked": 1, "already_linked": 1, "interrupted": 1,
    }  # fmt: skip
    # run1's own rows: a and b were decided again by run2, so only c's outcome is still run1's.
    assert journal.run_summary("run1") == {"sent": 3, "retried": 0, "linked_now": 1, "linked": 1}


def test_begin_run_twice_with_one_id_is_a_journal_error(journal: Journal) -> None:
    journal.begin_run("run1", environment="sandbox", input_path="x", input_sha256="0" * 64, started_at=NOW)
    with pytest.raises(JournalError, match="cannot write the journal"):
        journal.begin_run(
            "run1", environment="sandbox", input_path="x", input_sha256="0" * 64, started_at=NOW
        )
    journal.end_run("run1", ended_at=NOW, exit_code=0)  # the failed write left no open transaction


# -- interrupted rows ------------------------------------------------------------------


def test_interrupted_never_overwrites_a_done_row(journal: Journal) -> None:
    finish(journal, row(), Outcome.LINKED, "run1")
    finish(journal, row(login="b"), Outcome.ALREADY_LINKED, "run2")
    journal.mark_unfinished_interrupted("run2", [row(), row(login="b")], NOW + timedelta(hours=1))
    for r, outcome in ((row(), Outcome.LINKED), (row(login="b"), Outcome.ALREADY_LINKED)):
        rec = journal.record(r)
        assert rec is not None and rec.outcome is outcome and rec.finished_at == NOW


def test_interrupted_never_overwrites_a_row_finished_in_this_run(journal: Journal) -> None:
    finish(journal, row(), Outcome.ECF_BAD_CREDENTIALS, "run1")
    journal.mark_unfinished_interrupted("run1", [row()], NOW)
    rec = journal.record(row())
    assert rec is not None and rec.outcome is Outcome.ECF_BAD_CREDENTIALS
    assert decision(journal, row()) is Decision.SKIP_UNCHANGED  # not turned into a resend


def test_interrupted_marks_begun_and_queued_rows(journal: Journal) -> None:
    finish(journal, row(login="old"), Outcome.ECF_BAD_CREDENTIALS, "run1")
    began, queued, old = row(login="began"), row(login="queued"), row(login="old", ecf="fixed-pw")
    a = journal.begin_attempt(began, "run2")
    journal.mark_step(a, "credentials")
    journal.begin_attempt(old, "run2")
    journal.mark_unfinished_interrupted("run2", [began, queued, old], NOW)
    got = {k: (r.outcome, r.attempts, r.runs, r.run_id) for k, r in journal.records().items()}
    assert got == {
        "alsd|began|jdoe2019a": (Outcome.INTERRUPTED, 1, 1, "run2"),
        "alsd|queued|jdoe2019a": (Outcome.INTERRUPTED, 0, 0, "run2"),
        "alsd|old|jdoe2019a": (Outcome.INTERRUPTED, 1, 1, "run2"),  # was a fix row: now retried as is
    }
    db = sqlite3.connect(journal.path)
    closed = db.execute("SELECT outcome, finished_at, flow_attempts FROM attempts WHERE run_id = 'run2'")
    assert closed.fetchall() == [("interrupted", NOW.isoformat(), 1), ("interrupted", NOW.isoformat(), 0)]
    db.close()


def test_interrupted_after_a_confirm_says_so(journal: Journal) -> None:
    r = row()
    journal.mark_confirm_sent(journal.begin_attempt(r, "run1"))
    journal.mark_unfinished_interrupted("run1", [r], NOW)
    rec = journal.record(r)
    assert rec is not None and rec.outcome is Outcome.INTERRUPTED and rec.confirm_pending
    assert "confirm was sent" in rec.detail and rec.fingerprint == journal.fingerprint(r)


# -- no secret ever in the journal ---------------------------------------------------


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [
        raw, secret.encode("utf-16-le"), secret.encode("utf-16-be"), raw.hex().encode(),
        raw.hex().upper().encode(), base64.b64encode(raw), hashlib.sha256(raw).hexdigest().encode(),
    ]  # fmt: skip


def _every_value(path: Path) -> str:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    values = [repr(v) for t in tables for r in db.execute(f'SELECT * FROM "{t}"') for v in r]
    db.close()
    return "\n".join(values)


def test_no_secret_is_stored_and_keys_differ(tmp_path: Path) -> None:
    paths = [tmp_path / "a.journal.sqlite", tmp_path / "b.journal.sqlite"]
    journals = [Journal.open(p) for p in paths]
    while_open = b""
    for j in journals:
        j.begin_run("run1", environment="sandbox", input_path="x.xlsx", input_sha256="0" * 64, started_at=NOW)
        for outcome in (Outcome.ECF_BAD_CREDENTIALS, Outcome.GAVE_UP, Outcome.LINKED):
            finish(j, row(), outcome)
        other = row(login="other")
        j.decide(other, retry_unchanged=False)
        attempt = j.begin_attempt(other, "run1")
        j.mark_step(attempt, "confirm")
        j.mark_confirm_sent(attempt)
        j.mark_unfinished_interrupted("run1", [other, row(login="queued")], NOW)
        j.run_summary("run1")
        j.records()
        j.end_run("run1", ended_at=NOW, exit_code=1)
    assert (tmp_path / "a.journal.sqlite-wal").stat().st_size > 0  # the WAL really was written and read
    while_open = b"".join(p.read_bytes() for p in sorted(tmp_path.iterdir()))
    dumps = "\n".join(_every_value(p) for p in paths)
    fingerprints = [j.fingerprint(row()) for j in journals]
    for j in journals:
        j.close()
    after_close = b"".join(p.read_bytes() for p in sorted(tmp_path.iterdir()))
    assert fingerprints[0] != fingerprints[1]  # keyed per journal: no dictionary across journals
    assert fingerprints[0] in dumps  # the dump really holds the rows
    for canary in (CANARY_PW, CANARY_ECF, CANARY_OTP):
        for form in _forms(canary):
            assert form not in while_open and form not in after_close, (canary, form)
            assert form.decode("latin-1") not in dumps, (canary, form)


def test_the_canary_check_can_fail(tmp_path: Path) -> None:
    # The scan above would see a secret: store one by hand and look for it the same way.
    path = tmp_path / "leak.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (v)")
    db.execute("INSERT INTO t VALUES (?)", (CANARY_PW,))
    db.commit()
    db.close()
    assert _forms(CANARY_PW)[0] in path.read_bytes() and CANARY_PW in _every_value(path)


# -- files, locks, versions, kills ----------------------------------------------------


def test_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "m.journal.sqlite"
    old = os.umask(0o022)
    try:
        with Journal.open(path) as j:
            finish(j, row(), Outcome.LINKED)
            for suffix in ("", "-wal", "-shm", ".lock"):
                p = path.with_name(path.name + suffix)
                assert p.stat().st_mode & 0o777 == 0o600, p
        path.chmod(0o644)  # a journal copied in with wide permissions is tightened on open
        Journal.open(path).close()
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_a_second_run_on_the_same_journal_is_refused(journal: Journal) -> None:
    with pytest.raises(JournalError, match=f"another pacer-link run is using {journal.path}"):
        Journal.open(journal.path)


def test_a_second_process_is_refused_and_the_lock_goes_with_the_first(tmp_path: Path) -> None:
    path = tmp_path / "p.journal.sqlite"
    script = "import sys, pathlib, batch.journal as j; j.Journal.open(pathlib.Path(sys.argv[1]))"
    with Journal.open(path):
        proc = _python(script, str(path))
        assert proc.returncode == 1 and b"another pacer-link run is using" in proc.stderr
    assert _python(script, str(path)).returncode == 0  # closed: free again


def test_a_newer_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.journal.sqlite"
    Journal.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    db.close()
    with pytest.raises(JournalError, match=r"newer pacer-link .*upgrade pacer-link"):
        Journal.open(path)
    Journal.open(path.with_name("other.sqlite")).close()  # a refused open leaves no lock behind...
    with pytest.raises(JournalError, match="newer"):
        Journal.open(path)  # ...and changed nothing


def test_not_a_journal_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.journal.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="not a usable pacer-link journal"):
        Journal.open(junk)
    other = tmp_path / "other.journal.sqlite"  # some other program's database: left untouched
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE invoices (id)")
    db.close()
    with pytest.raises(JournalError, match="an SQLite file but not a pacer-link journal"):
        Journal.open(other)
    db = sqlite3.connect(other)
    assert [t for (t,) in db.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    db.close()


def test_a_version_1_journal_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v1.journal.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT, ended_at TEXT, environment TEXT,
            input_path TEXT, input_sha256 TEXT, exit_code INTEGER);
        CREATE TABLE rows (identity TEXT PRIMARY KEY, court TEXT NOT NULL, fingerprint TEXT NOT NULL,
            outcome TEXT, detail TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,
            runs INTEGER NOT NULL DEFAULT 0, finished_at TEXT, run_id TEXT NOT NULL DEFAULT '',
            confirm_pending INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, identity TEXT NOT NULL,
            run_id TEXT NOT NULL, started_at TEXT, finished_at TEXT, step TEXT NOT NULL DEFAULT 'queued',
            confirm_sent INTEGER NOT NULL DEFAULT 0, outcome TEXT, detail TEXT);
        INSERT INTO meta VALUES ('schema_version', '1'), ('hmac_key', hex(zeroblob(32)));
        INSERT INTO rows (identity, court, fingerprint, outcome)
            VALUES ('alsd|jdoe|jdoe2019a', 'alsd', 'x', 'linked');
    """)  # fmt: skip
    db.close()
    with Journal.open(path) as j:
        assert decision(j, row()) is Decision.SKIP_DONE
        finish(j, row(login="new"), Outcome.LINKED, "run2")
        assert j.run_summary("run2")["sent"] == 1
    db = sqlite3.connect(path)
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    db.close()


def _python(script: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, env=env, timeout=60)


def test_a_killed_writer_loses_no_committed_row(tmp_path: Path) -> None:
    path = tmp_path / "k.journal.sqlite"
    script = textwrap.dedent(f"""
        import os, signal
        from datetime import datetime, UTC
        from pathlib import Path
        from batch.accounts import AccountRow, Secret
        from batch.journal import Journal
        from batch.outcomes import Outcome, RowResult
        j = Journal.open(Path({str(path)!r}))
        j.begin_run("run1", environment="sandbox", input_path="k.xlsx", input_sha256="0" * 64,
                    started_at=datetime.now(UTC))
        def row(i):
            return AccountRow(i, "A", f"user{{i}}", Secret("p"), "alsd", f"l{{i}}", Secret("e"))
        for i in range(200):
            a = j.begin_attempt(row(i), "run1")
            outcome = Outcome.LINKED if i % 2 else Outcome.ECF_BAD_CREDENTIALS
            j.finish_row(row(i), "run1", RowResult(outcome, "ok", 1), attempt_id=a,
                         finished_at=datetime.now(UTC))
        a = j.begin_attempt(row(200), "run1")
        j.mark_confirm_sent(a)  # then killed before the answer: no close, no checkpoint
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = _python(script)
    assert proc.returncode == -9, proc.stderr.decode()
    assert (tmp_path / "k.journal.sqlite-wal").stat().st_size > 0  # the rows were only in the WAL
    with Journal.open(path) as j:  # the dead process's lock went with it
        records = j.records()
        assert len(records) == 201
        assert sum(r.outcome is Outcome.LINKED for r in records.values()) == 100
        assert sum(r.outcome is Outcome.ECF_BAD_CREDENTIALS for r in records.values()) == 100
        pending = row(200, user="user200", login="l200")
        assert j.confirm_pending(pending) and decision(j, pending) is Decision.SEND


def test_ten_thousand_rows_take_seconds(tmp_path: Path) -> None:
    rows = [row(i, login=f"l{i}") for i in range(10_000)]
    with Journal.open(tmp_path / "big.journal.sqlite") as j:
        start = time.perf_counter()
        for r in rows:
            j.decide(r, retry_unchanged=False)
            a = j.begin_attempt(r, "run1")
            j.mark_step(a, "credentials")
            j.finish_row(r, "run1", RowResult(Outcome.LINKED, "ok", 1), attempt_id=a, finished_at=NOW)
        written = time.perf_counter() - start
        start = time.perf_counter()
        records = j.records()
        read = time.perf_counter() - start
        assert len(records) == 10_000 and j.run_summary("run1")["linked_now"] == 10_000
    print(f"\n10,000 rows: decide+begin+step+finish {written:.2f} s, records() {read * 1000:.0f} ms")


def test_prior_rejections_skip_files_that_are_not_journals(tmp_path: Path) -> None:
    from batch.history import prior_rejections

    (tmp_path / "junk.journal.sqlite").write_bytes(b"not sqlite at all")
    sqlite3.connect(tmp_path / "other.journal.sqlite").execute("CREATE TABLE t (x)").connection.commit()
    with Journal.open(tmp_path / "old.journal.sqlite") as old:
        assert old.is_new()
        old.begin_run("run1", environment="sandbox", input_path="x", input_sha256="x", started_at=NOW)
        finish(old, row(), Outcome.ECF_BAD_CREDENTIALS)
        assert not old.is_new()
    found = prior_rejections(tmp_path / "new.journal.sqlite", [tmp_path], [row()])
    assert [(p.outcome, p.journal.name) for p in found] == [
        (Outcome.ECF_BAD_CREDENTIALS, "old.journal.sqlite")
    ]
    assert prior_rejections(tmp_path / "new.journal.sqlite", [tmp_path], [row(pw="corrected")]) == []
