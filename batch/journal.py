"""The journal: a SQLite file that makes every run resumable and never links twice.

Tables: ``rows`` (one per identity: court, CM/ECF login, PACER username; its latest
outcome), ``attempts`` (one per row per run: step reached, confirm sent), ``runs``,
``meta`` (schema version, HMAC key). Each row's result is committed the moment it is known.

Durability: WAL with ``synchronous=NORMAL``. In WAL mode a commit is in the WAL file once
``COMMIT`` returns, so it survives the process being killed at any moment (Ctrl-C,
``kill -9``, a crash: the case that matters). Only a power cut can lose the last commits,
which a rerun redoes (a lost confirm is found by the filing menus); ``FULL`` would fsync
every row for no gain against a kill.

No secret is stored: a row's fingerprint is an HMAC keyed by a random key that lives only
in this file, so the journal tells a corrected password from an unchanged one without being
a dictionary to guess passwords against. One writer: ``open`` takes an ``flock`` on
``<journal>.lock``, which the OS releases when the process dies (no stale lock after a kill).
"""

from __future__ import annotations

import contextlib
import fcntl
import hmac
import os
import secrets
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO

from batch.accounts import AccountRow
from batch.fingerprints import identity_key, row_fingerprint
from batch.outcomes import Kind, Outcome, RowResult

#: 2 added attempts.previous_outcome ("": a record without outcome) and .flow_attempts.
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started_at TEXT, ended_at TEXT, environment TEXT,
    input_path TEXT, input_sha256 TEXT, exit_code INTEGER);
CREATE TABLE IF NOT EXISTS rows (
    identity TEXT PRIMARY KEY, court TEXT NOT NULL, fingerprint TEXT NOT NULL,
    outcome TEXT, detail TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,
    runs INTEGER NOT NULL DEFAULT 0, finished_at TEXT, run_id TEXT NOT NULL DEFAULT '',
    confirm_pending INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, identity TEXT NOT NULL, run_id TEXT NOT NULL,
    started_at TEXT, finished_at TEXT, step TEXT NOT NULL DEFAULT 'queued',
    confirm_sent INTEGER NOT NULL DEFAULT 0, outcome TEXT, detail TEXT,
    previous_outcome TEXT, flow_attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS attempts_by_identity ON attempts (identity);
CREATE INDEX IF NOT EXISTS attempts_by_run ON attempts (run_id);
"""
# Additive changes since version 1: applied in place when a version 1 journal is opened.
_MIGRATE_FROM_1 = (
    "ALTER TABLE attempts ADD COLUMN previous_outcome TEXT",
    "ALTER TABLE attempts ADD COLUMN flow_attempts INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX IF NOT EXISTS attempts_by_run ON attempts (run_id)",
)
_BUSY_TIMEOUT_MS = 5000  # only outside readers (a DB browser) can hold it: we are the one writer


class JournalError(Exception):
    """Raised when the journal cannot be used: another run holds it, it was written by a
    newer pacer-link, it is not a journal, or a write failed (disk full, read-only)."""


class Decision(StrEnum):
    SEND = "send"
    SKIP_DONE = "skip_done"
    SKIP_UNCHANGED = "skip_unchanged"


@dataclass(frozen=True, slots=True)
class RowRecord:
    identity: str
    outcome: Outcome | None  # None: begun (a confirm may be out) but never finished
    detail: str
    attempts: int  # link-flow attempts over all runs
    runs: int  # runs that sent this row
    finished_at: datetime | None  # UTC
    run_id: str  # the run that decided the outcome
    confirm_pending: bool
    fingerprint: str


def _iso(when: datetime) -> str:
    # Stored as UTC so that text order is time order; a naive time is taken to be UTC.
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat()


def _record(r: sqlite3.Row) -> RowRecord:
    outcome, finished = r["outcome"], r["finished_at"]
    return RowRecord(
        r["identity"], Outcome(outcome) if outcome else None, r["detail"], r["attempts"], r["runs"],
        datetime.fromisoformat(finished) if finished else None, r["run_id"], bool(r["confirm_pending"]),
        r["fingerprint"],
    )  # fmt: skip


class Journal:
    """Open with ``Journal.open(path)``; use as a context manager. Not thread-safe: the run
    calls it from its one event-loop thread, and each method is a complete transaction."""

    def __init__(self, path: Path, db: sqlite3.Connection, lock: IO[bytes], key: bytes) -> None:
        self.path, self._db, self._lock, self._key = path, db, lock, key

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open the journal at ``path``, creating it if missing. Raises ``JournalError``."""
        lock = cls._take_lock(path)
        db: sqlite3.Connection | None = None
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))  # owner only from the start
            # isolation_level=None: no implicit transactions; ``_tx`` says where each one is.
            db = sqlite3.connect(path, isolation_level=None, timeout=_BUSY_TIMEOUT_MS / 1000)
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # see the module docstring: kill-safe
            key = cls._prepare(db, path)
            for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
                if p.exists():  # tighten a journal copied in or made by hand
                    os.chmod(p, 0o600)
        except (sqlite3.DatabaseError, JournalError, OSError) as exc:
            if db is not None:
                db.close()
            lock.close()
            if isinstance(exc, JournalError):
                raise
            msg = f"{path}: not a usable pacer-link journal ({exc}); move it aside to start afresh"
            raise JournalError(msg + " (linked rows then come back as already_linked)") from None
        return cls(path, db, lock, key)

    @staticmethod
    def _take_lock(path: Path) -> IO[bytes]:
        lock_path = path.with_name(path.name + ".lock")
        try:
            lock = os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+b")
        except OSError as exc:
            raise JournalError(f"cannot create {lock_path}: {exc.strerror}") from None
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            msg = f"another pacer-link run is using {path}; wait for it to finish (one run at a time)"
            raise JournalError(msg) from None
        return lock

    @staticmethod
    def _prepare(db: sqlite3.Connection, path: Path) -> bytes:
        """Check the version before touching anything, create or migrate, return the key."""
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "meta" not in tables:
            raise JournalError(f"{path} is an SQLite file but not a pacer-link journal; choose another name")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall()) if tables else {}
        try:
            version = int(meta.get("schema_version", SCHEMA_VERSION))
        except ValueError:
            raise JournalError(f"{path}: unreadable journal version {meta['schema_version']!r}") from None
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"{path} was written by a newer pacer-link (journal version {version}, this one "
                f"reads up to {SCHEMA_VERSION}); upgrade pacer-link"
            )
        db.execute("BEGIN IMMEDIATE")
        try:
            if version == 1:
                for statement in _MIGRATE_FROM_1:
                    db.execute(statement)
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            key = meta.get("hmac_key") or secrets.token_hex(32)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('hmac_key', ?)", (key,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return bytes.fromhex(key)

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()  # the last connection checkpoints the WAL and removes it
        self._lock.close()  # releases the flock

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on exit. IMMEDIATE: take the write lock up front
        rather than fail half-way on an upgrade from a read lock."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc}") from exc

    def fingerprint(self, row: AccountRow) -> str:
        return row_fingerprint(self._key, row)

    def is_new(self) -> bool:
        """No run has begun in this journal yet."""
        return self._db.execute("SELECT count(*) FROM runs").fetchone()[0] == 0

    def record(self, row: AccountRow) -> RowRecord | None:
        r = self._db.execute("SELECT * FROM rows WHERE identity = ?", (identity_key(row),)).fetchone()
        return _record(r) if r else None

    def records(self) -> dict[str, RowRecord]:
        """Every row record by identity key, in one query."""
        return {r["identity"]: _record(r) for r in self._db.execute("SELECT * FROM rows")}

    def decide(
        self, row: AccountRow, *, retry_unchanged: bool, retry_outcomes: Collection[Outcome] = ()
    ) -> tuple[Decision, RowRecord | None]:
        """What this run does with the row (contract.md, "Rerunning"). ``retry_outcomes``
        (``--retry-outcome``): unchanged "fix" rows with one of these outcomes are resent."""
        rec = self.record(row)
        if rec is None or rec.outcome is None:
            return Decision.SEND, rec  # never attempted, or begun and killed before an outcome
        if rec.outcome.is_done:
            return Decision.SKIP_DONE, rec  # first: nothing, not even a change, relinks a row
        if rec.confirm_pending or rec.outcome.kind is Kind.RETRY or retry_unchanged:
            return Decision.SEND, rec
        if rec.outcome in retry_outcomes:
            return Decision.SEND, rec
        if not hmac.compare_digest(rec.fingerprint, self.fingerprint(row)):
            return Decision.SEND, rec
        return Decision.SKIP_UNCHANGED, rec  # a rejected password sent twice locks accounts

    def confirm_pending(self, row: AccountRow) -> bool:
        """A confirm was sent for this identity and no done outcome was recorded since: the
        next attempt must look for the link before calling it anything else."""
        rec = self.record(row)
        return bool(rec and rec.confirm_pending)

    def begin_run(
        self, run_id: str, *, environment: str, input_path: str, input_sha256: str, started_at: datetime
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs (run_id, started_at, environment, input_path, input_sha256) "
                "VALUES (?, ?, ?, ?, ?)",
                (run_id, _iso(started_at), environment, input_path, input_sha256),
            )

    def end_run(self, run_id: str, *, ended_at: datetime, exit_code: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET ended_at = ?, exit_code = ? WHERE run_id = ?",
                (_iso(ended_at), exit_code, run_id),
            )

    def begin_attempt(self, row: AccountRow, run_id: str, started_at: datetime | None = None) -> int:
        """Record that the row is handed to the link flow; returns the attempt id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO attempts (identity, run_id, started_at, previous_outcome) "
                "VALUES (?, ?, ?, (SELECT coalesce(outcome, '') FROM rows WHERE identity = ?))",
                (identity_key(row), run_id, _iso(started_at or datetime.now(UTC)), identity_key(row)),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def mark_step(self, attempt_id: int, step: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE attempts SET step = ? WHERE id = ?", (step, attempt_id))

    def mark_confirm_sent(self, attempt_id: int) -> None:
        """Committed before the confirm goes out: if the answer is lost or the process dies,
        the next attempt knows to look for the link instead of calling it already_linked
        (or worse, confirming again)."""
        with self._tx() as db:
            db.execute("UPDATE attempts SET step = 'confirm', confirm_sent = 1 WHERE id = ?", (attempt_id,))
            # A first attempt has no rows record yet: make one, court taken from the identity.
            db.execute(
                "INSERT INTO rows (identity, court, fingerprint, confirm_pending) "
                "SELECT identity, substr(identity, 1, instr(identity, '|') - 1), '', 1 "
                "FROM attempts WHERE id = ? "
                "ON CONFLICT(identity) DO UPDATE SET confirm_pending = 1",
                (attempt_id,),
            )

    def finish_row(
        self,
        row: AccountRow,
        run_id: str,
        result: RowResult,
        *,
        attempt_id: int | None,
        finished_at: datetime,
    ) -> None:
        """The row's result, in one transaction with the attempt that produced it."""
        done = result.outcome.is_done
        p = {
            "key": identity_key(row), "court": row.court, "fp": self.fingerprint(row),
            "outcome": str(result.outcome), "detail": result.detail, "attempts": result.attempts,
            "sent": int(result.attempts > 0), "when": _iso(finished_at), "run": run_id, "done": done,
            "pending": int(result.confirm_sent and not done), "attempt": attempt_id,
            "confirm": int(result.confirm_sent),
        }  # fmt: skip
        with self._tx() as db:
            db.execute(
                "UPDATE attempts SET finished_at = :when, outcome = :outcome, detail = :detail, "
                "flow_attempts = :attempts, confirm_sent = max(confirm_sent, :confirm) WHERE id = :attempt",
                p,
            )
            # confirm_pending is cleared only by a done outcome: a confirm that went out and
            # then gave up may still have linked, and the next attempt must look for it.
            db.execute(
                """INSERT INTO rows (identity, court, fingerprint, outcome, detail, attempts,
                     runs, finished_at, run_id, confirm_pending)
                   VALUES (:key, :court, :fp, :outcome, :detail, :attempts, :sent, :when, :run, :pending)
                   ON CONFLICT(identity) DO UPDATE SET
                     court = :court, fingerprint = :fp, outcome = :outcome, detail = :detail,
                     attempts = attempts + :attempts, runs = runs + :sent, finished_at = :when,
                     run_id = :run,
                     confirm_pending = CASE WHEN :done THEN 0 ELSE max(confirm_pending, :pending) END""",
                p,
            )

    def mark_unfinished_interrupted(
        self, run_id: str, rows: Iterable[AccountRow], finished_at: datetime
    ) -> None:
        """Rows this run queued or began but did not finish become ``interrupted``. Never
        overwrites a done row, nor one this run already finished (a caller's slip must not
        turn a recorded rejection into a resend)."""
        with self._tx() as db:
            for row in rows:
                p = {"key": identity_key(row), "court": row.court, "fp": self.fingerprint(row),
                     "when": _iso(finished_at), "run": run_id}  # fmt: skip
                # A flow that got past the queue may have sent something: it counts as sent.
                db.execute(
                    """INSERT INTO rows (identity, court, fingerprint, outcome, detail, attempts,
                          runs, finished_at, run_id)
                        SELECT :key, :court, :fp, 'interrupted',
                          'the run stopped before this row finished; nothing confirmed',
                          n, n, :when, :run FROM (
                            SELECT count(*) > 0 AS n FROM attempts WHERE identity = :key
                            AND run_id = :run AND finished_at IS NULL AND step != 'queued')
                        WHERE true
                        ON CONFLICT(identity) DO UPDATE SET court = :court, fingerprint = :fp,
                          outcome = 'interrupted', attempts = attempts + excluded.attempts,
                          runs = runs + excluded.runs, finished_at = :when, run_id = :run,
                          detail = CASE WHEN confirm_pending
                            THEN 'the run stopped after the confirm was sent; the next run checks the link'
                            ELSE excluded.detail END
                        WHERE outcome IS NULL
                          OR (outcome NOT IN ('linked', 'already_linked') AND run_id != :run)""",
                    p,
                )
                db.execute(
                    "UPDATE attempts SET finished_at = :when, outcome = 'interrupted', "
                    "flow_attempts = step != 'queued' "
                    "WHERE identity = :key AND run_id = :run AND finished_at IS NULL",
                    p,
                )

    def run_summary(self, run_id: str) -> dict[str, int]:
        """What this run did. ``sent``: rows whose link flow put something on the wire;
        ``retried``: those of them with a record or an attempt from before this run;
        ``linked_now``; and per outcome name, the rows whose latest outcome this run decided."""
        sent, retried = self._db.execute(
            """SELECT count(DISTINCT identity), count(DISTINCT CASE WHEN previous_outcome IS NOT NULL
                 OR EXISTS (SELECT 1 FROM attempts b WHERE b.identity = a.identity
                            AND b.run_id != a.run_id AND b.id < a.id) THEN identity END)
               FROM attempts a WHERE run_id = ? AND (flow_attempts > 0 OR step != 'queued')""",
            (run_id,),
        ).fetchone()
        query = "SELECT outcome, count(*) FROM rows WHERE run_id = ? AND outcome IS NOT NULL GROUP BY 1"
        by_outcome = dict(self._db.execute(query, (run_id,)).fetchall())
        return {"sent": sent, "retried": retried, "linked_now": by_outcome.get("linked", 0), **by_outcome}
