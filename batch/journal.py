"""The journal: a SQLite file that makes every run resumable and never links twice.

One record per row identity (court, CM/ECF login, PACER username) with its latest
outcome, and one record per attempt: when it began, the step it reached, whether the
confirm was sent. Each row's result is committed the moment it is known.

WAL with ``synchronous=NORMAL``: a commit survives the process being killed at any
moment (the case that matters: Ctrl-C, ``kill -9``, a crash); only a power cut can lose
the last commits, which a rerun then simply redoes (a lost confirm is found by the
filing menus). No secret is stored: a row's fingerprint is an HMAC keyed by a random key
that lives only in this file, so the journal tells a corrected password from an
unchanged one without being a dictionary to guess passwords against.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO

from batch.accounts import AccountRow
from batch.outcomes import Kind, Outcome, RowResult

SCHEMA_VERSION = 1

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
    confirm_sent INTEGER NOT NULL DEFAULT 0, outcome TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS attempts_by_identity ON attempts (identity);
"""


class JournalError(Exception):
    """Raised when the journal cannot be used: another run holds it, a newer version, corrupt."""


class Decision(StrEnum):
    SEND = "send"
    SKIP_DONE = "skip_done"
    SKIP_UNCHANGED = "skip_unchanged"


@dataclass(frozen=True, slots=True)
class RowRecord:
    identity: str
    outcome: Outcome | None
    detail: str
    attempts: int
    runs: int
    finished_at: datetime | None
    run_id: str
    confirm_pending: bool
    fingerprint: str


def identity_key(row: AccountRow) -> str:
    return "|".join(row.identity)


def _iso(when: datetime) -> str:
    return when.isoformat()


def _record(r: sqlite3.Row) -> RowRecord:
    return RowRecord(
        identity=r["identity"],
        outcome=Outcome(r["outcome"]) if r["outcome"] else None,
        detail=r["detail"],
        attempts=r["attempts"],
        runs=r["runs"],
        finished_at=datetime.fromisoformat(r["finished_at"]) if r["finished_at"] else None,
        run_id=r["run_id"],
        confirm_pending=bool(r["confirm_pending"]),
        fingerprint=r["fingerprint"],
    )


class Journal:
    def __init__(self, path: Path, db: sqlite3.Connection, lock: IO[bytes], key: bytes) -> None:
        self.path, self._db, self._lock, self._key = path, db, lock, key

    @classmethod
    def open(cls, path: Path) -> Journal:
        lock = cls._take_lock(path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # owner only, from the start
            os.close(fd)
            db = sqlite3.connect(path, isolation_level=None, timeout=10)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            key = cls._key_and_version(db, path)
        except sqlite3.DatabaseError as exc:
            lock.close()
            raise JournalError(
                f"{path}: not a usable pacer-link journal ({exc}); move it aside to start afresh"
            ) from None
        except JournalError:
            lock.close()
            raise
        return cls(path, db, lock, key)

    @staticmethod
    def _take_lock(path: Path) -> IO[bytes]:
        lock_path = path.with_name(path.name + ".lock")
        lock = os.fdopen(os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise JournalError(f"another pacer-link run is using {path}; wait for it to finish") from None
        return lock

    @staticmethod
    def _key_and_version(db: sqlite3.Connection, path: Path) -> bytes:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        version = int(meta.get("schema_version", SCHEMA_VERSION))
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"{path} was written by a newer pacer-link (journal version {version}); upgrade pacer-link"
            )
        if "hmac_key" not in meta:
            key = secrets.token_hex(32)
            with db:
                db.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?), ('hmac_key', ?)",
                    (str(SCHEMA_VERSION), key),
                )
            return bytes.fromhex(key)
        return bytes.fromhex(meta["hmac_key"])

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._lock.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- rows -----------------------------------------------------------------------

    def fingerprint(self, row: AccountRow) -> str:
        """What is sent for the row, keyed-hashed. attorney_name is only for people: a
        corrected spelling is not a reason to resend."""
        otp = row.pacer_otp_secret.reveal() if row.pacer_otp_secret else ""
        fields = [
            row.court,
            row.cmecf_login,
            row.cmecf_password.reveal(),
            row.pacer_username,
            row.pacer_password.reveal(),
            otp,
            row.client_code,
        ]
        return hmac.new(self._key, json.dumps(fields).encode("utf-8"), hashlib.sha256).hexdigest()

    def record(self, row: AccountRow) -> RowRecord | None:
        r = self._db.execute("SELECT * FROM rows WHERE identity = ?", (identity_key(row),)).fetchone()
        return _record(r) if r else None

    def records(self) -> dict[str, RowRecord]:
        return {r["identity"]: _record(r) for r in self._db.execute("SELECT * FROM rows")}

    def decide(self, row: AccountRow, *, retry_unchanged: bool) -> tuple[Decision, RowRecord | None]:
        rec = self.record(row)
        if rec is None or rec.outcome is None or rec.confirm_pending:
            return Decision.SEND, rec
        if rec.outcome.kind is Kind.DONE:
            return Decision.SKIP_DONE, rec
        if rec.outcome.kind is Kind.RETRY or retry_unchanged:
            return Decision.SEND, rec
        if rec.fingerprint != self.fingerprint(row):
            return Decision.SEND, rec
        return Decision.SKIP_UNCHANGED, rec

    def confirm_pending(self, row: AccountRow) -> bool:
        rec = self.record(row)
        return bool(rec and rec.confirm_pending)

    # -- runs and attempts ------------------------------------------------------------

    def begin_run(
        self,
        run_id: str,
        *,
        environment: str,
        input_path: str,
        input_sha256: str,
        started_at: datetime,
    ) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO runs (run_id, started_at, environment, input_path, input_sha256) "
                "VALUES (?, ?, ?, ?, ?)",
                (run_id, _iso(started_at), environment, input_path, input_sha256),
            )

    def end_run(self, run_id: str, *, ended_at: datetime, exit_code: int) -> None:
        with self._db:
            self._db.execute(
                "UPDATE runs SET ended_at = ?, exit_code = ? WHERE run_id = ?",
                (_iso(ended_at), exit_code, run_id),
            )

    def begin_attempt(self, row: AccountRow, run_id: str, started_at: datetime | None = None) -> int:
        with self._db:
            cur = self._db.execute(
                "INSERT INTO attempts (identity, run_id, started_at) VALUES (?, ?, ?)",
                (identity_key(row), run_id, _iso(started_at) if started_at else None),
            )
        return int(cur.lastrowid or 0)

    def mark_step(self, attempt_id: int, step: str) -> None:
        with self._db:
            self._db.execute("UPDATE attempts SET step = ? WHERE id = ?", (step, attempt_id))

    def mark_confirm_sent(self, attempt_id: int) -> None:
        """Committed before the confirm goes out: if the answer is lost, or the process dies,
        the next attempt knows to look for the link instead of calling it already_linked."""
        with self._db:
            self._db.execute(
                "UPDATE attempts SET step = 'confirm', confirm_sent = 1 WHERE id = ?", (attempt_id,)
            )
            self._db.execute(
                "INSERT INTO rows (identity, court, fingerprint, confirm_pending) "
                "SELECT identity, '', '', 1 FROM attempts WHERE id = ? "
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
        done = result.outcome.kind is Kind.DONE
        when = _iso(finished_at)
        with self._db:
            if attempt_id is not None:
                self._db.execute(
                    "UPDATE attempts SET finished_at = ?, outcome = ?, detail = ? WHERE id = ?",
                    (when, str(result.outcome), result.detail, attempt_id),
                )
            self._db.execute(
                """INSERT INTO rows (identity, court, fingerprint, outcome, detail, attempts,
                     runs, finished_at, run_id, confirm_pending)
                   VALUES (:identity, :court, :fp, :outcome, :detail, :attempts, :sent, :when,
                     :run, :pending)
                   ON CONFLICT(identity) DO UPDATE SET
                     court = :court, fingerprint = :fp, outcome = :outcome,
                     detail = :detail, attempts = attempts + :attempts, runs = runs + :sent,
                     finished_at = :when, run_id = :run,
                     confirm_pending = CASE WHEN :done THEN 0 ELSE confirm_pending END""",
                {
                    "identity": identity_key(row),
                    "court": row.court,
                    "fp": self.fingerprint(row),
                    "outcome": str(result.outcome),
                    "detail": result.detail,
                    "attempts": result.attempts,
                    "sent": 1 if result.attempts else 0,
                    "when": when,
                    "run": run_id,
                    "done": done,
                    "pending": 0,
                },
            )

    def mark_unfinished_interrupted(
        self, run_id: str, rows: Iterable[AccountRow], finished_at: datetime
    ) -> None:
        """Rows this run queued or began but did not finish. Never overwrites a done row."""
        with self._db:
            for row in rows:
                rec = self.record(row)
                if rec is not None and rec.outcome is not None and rec.outcome.is_done:
                    continue
                self._db.execute(
                    """INSERT INTO rows (identity, court, fingerprint, outcome, detail,
                         finished_at, run_id)
                       VALUES (?, ?, ?, 'interrupted', ?, ?, ?)
                       ON CONFLICT(identity) DO UPDATE SET outcome = 'interrupted',
                         detail = excluded.detail, finished_at = excluded.finished_at,
                         run_id = excluded.run_id""",
                    (
                        identity_key(row),
                        row.court,
                        self.fingerprint(row),
                        "the run stopped before this row finished",
                        _iso(finished_at),
                        run_id,
                    ),
                )
                self._db.execute(
                    "UPDATE attempts SET finished_at = ?, outcome = 'interrupted' "
                    "WHERE identity = ? AND run_id = ? AND finished_at IS NULL",
                    (_iso(finished_at), identity_key(row), run_id),
                )

    def attempts_of(self, row: AccountRow) -> list[sqlite3.Row]:
        return self._db.execute(
            "SELECT * FROM attempts WHERE identity = ? ORDER BY id", (identity_key(row),)
        ).fetchall()
