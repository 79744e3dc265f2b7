"""The journal: rerun decisions, identity across edits, secrets never stored, one writer."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batch.accounts import AccountRow, Secret
from batch.journal import Decision, Journal, JournalError
from batch.outcomes import Outcome, RowResult

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CANARY_PW, CANARY_ECF, CANARY_OTP = "CANARY-pacer-pw-7f3a", "CANARY-ecf-pw-91bd", "CANARYSECRETAAAAAAAAAAAA"


def row(n: int = 2, *, pw: str = CANARY_PW, ecf: str = CANARY_ECF, name: str = "Jane Doe", court: str = "alsd",
        login: str = "jdoe") -> AccountRow:
    return AccountRow(n, name, "jdoe2019a", Secret(pw), court, login, Secret(ecf), Secret(CANARY_OTP), "")


def finish(j: Journal, r: AccountRow, outcome: Outcome, run: str = "run1") -> None:
    attempt = j.begin_attempt(r, run)
    j.finish_row(r, run, RowResult(outcome, f"{outcome} detail", attempts=1), attempt_id=attempt, finished_at=NOW)


@pytest.fixture
def journal(tmp_path: Path):
    with Journal.open(tmp_path / "j.journal.sqlite") as j:
        yield j


def test_never_attempted_is_sent(journal: Journal):
    assert journal.decide(row(), retry_unchanged=False) == (Decision.SEND, None)


@pytest.mark.parametrize("outcome", [Outcome.LINKED, Outcome.ALREADY_LINKED])
def test_done_rows_are_never_resent_even_when_changed(journal: Journal, outcome: Outcome):
    finish(journal, row(), outcome)
    assert journal.decide(row(pw="changed-password-123"), retry_unchanged=True)[0] is Decision.SKIP_DONE


@pytest.mark.parametrize("outcome", [Outcome.GAVE_UP, Outcome.INTERRUPTED])
def test_retry_rows_are_resent(journal: Journal, outcome: Outcome):
    finish(journal, row(), outcome)
    assert journal.decide(row(), retry_unchanged=False)[0] is Decision.SEND


def test_fix_rows_wait_for_a_change_or_retry_unchanged(journal: Journal):
    finish(journal, row(), Outcome.ECF_BAD_CREDENTIALS)
    assert journal.decide(row(), retry_unchanged=False)[0] is Decision.SKIP_UNCHANGED
    assert journal.decide(row(ecf="corrected-ecf-pw-1"), retry_unchanged=False)[0] is Decision.SEND
    assert journal.decide(row(), retry_unchanged=True)[0] is Decision.SEND
    # A corrected spelling of the attorney's name is for people, not a reason to resend.
    assert journal.decide(row(name="Jane Q. Doe"), retry_unchanged=False)[0] is Decision.SKIP_UNCHANGED


def test_identity_not_row_number(journal: Journal):
    finish(journal, row(n=2), Outcome.LINKED)
    assert journal.decide(row(n=40), retry_unchanged=False)[0] is Decision.SKIP_DONE
    assert journal.decide(row(n=2, court="nysd"), retry_unchanged=False)[0] is Decision.SEND


def test_a_sent_confirm_is_remembered_until_done(journal: Journal):
    r = row()
    attempt = journal.begin_attempt(r, "run1")
    journal.mark_confirm_sent(attempt)
    assert journal.confirm_pending(r)
    assert journal.decide(r, retry_unchanged=False)[0] is Decision.SEND
    journal.mark_unfinished_interrupted("run1", [r], NOW)
    assert journal.confirm_pending(r) and journal.record(r).outcome is Outcome.INTERRUPTED
    finish(journal, r, Outcome.LINKED, "run2")
    assert not journal.confirm_pending(r)


def test_interrupted_never_overwrites_a_done_row(journal: Journal):
    finish(journal, row(), Outcome.LINKED)
    journal.mark_unfinished_interrupted("run2", [row()], NOW)
    assert journal.record(row()).outcome is Outcome.LINKED


def test_counts_attempts_and_runs(journal: Journal):
    finish(journal, row(), Outcome.GAVE_UP, "run1")
    finish(journal, row(), Outcome.LINKED, "run2")
    rec = journal.record(row())
    assert (rec.attempts, rec.runs, rec.run_id) == (2, 2, "run2")


def test_no_secret_is_stored_and_keys_differ(tmp_path: Path):
    a, b = tmp_path / "a.journal.sqlite", tmp_path / "b.journal.sqlite"
    with Journal.open(a) as ja, Journal.open(b) as jb:
        for j in (ja, jb):
            j.begin_run("run1", environment="sandbox", input_path="x.xlsx", input_sha256="0" * 64, started_at=NOW)
            finish(j, row(), Outcome.ECF_BAD_CREDENTIALS)
            attempt = j.begin_attempt(row(login="other"), "run1")
            j.mark_step(attempt, "credentials")
            j.mark_confirm_sent(attempt)
        assert ja.fingerprint(row()) != jb.fingerprint(row())  # keyed: no dictionary across journals
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
        dump = "\n".join(sqlite3.connect(a).iterdump())
    for canary in (CANARY_PW, CANARY_ECF, CANARY_OTP):
        for form in (canary.encode(), canary.encode("utf-16-le"), canary.encode().hex().encode()):
            assert form not in raw
        assert canary not in dump
    assert a.stat().st_mode & 0o777 == 0o600


def test_a_second_run_on_the_same_journal_is_refused(journal: Journal):
    with pytest.raises(JournalError, match="another pacer-link run is using"):
        Journal.open(journal.path)


def test_a_newer_journal_is_refused(tmp_path: Path):
    path = tmp_path / "new.journal.sqlite"
    Journal.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(JournalError, match="newer pacer-link"):
        Journal.open(path)


def test_not_a_journal_is_refused(tmp_path: Path):
    path = tmp_path / "junk.journal.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="not a usable pacer-link journal"):
        Journal.open(path)


def test_a_killed_writer_loses_no_committed_row(tmp_path: Path):
    path = tmp_path / "k.journal.sqlite"
    script = f"""
import os
from datetime import datetime, UTC
from batch.accounts import AccountRow, Secret
from batch.journal import Journal
from batch.outcomes import Outcome, RowResult
from pathlib import Path
j = Journal.open(Path({str(path)!r}))
for i in range(50):
    r = AccountRow(i, "A", "user{{:04d}}x".format(i), Secret("p"), "alsd", "l{{}}".format(i), Secret("e"))
    a = j.begin_attempt(r, "run1")
    j.finish_row(r, "run1", RowResult(Outcome.LINKED, "ok", 1), attempt_id=a, finished_at=datetime.now(UTC))
os.kill(os.getpid(), 9)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9
    with Journal.open(path) as j:
        records = j.records()
    assert len(records) == 50 and {r.outcome for r in records.values()} == {Outcome.LINKED}
