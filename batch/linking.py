"""One account's work in a run: log in once, link each of its court rows, log out.

Every row's result is written to the journal the moment it is known, then logged as one
``row_finished`` line with every field (the canonical log line).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from batch import logs
from batch.accounts import AccountRow
from batch.court import CourtFlow, Interrupted
from batch.journal import Journal
from batch.outcomes import Outcome, RowResult
from batch.pacer import AccountSession
from batch.pages import Patterns, snapshot_html
from batch.pool import PoliteClient
from batch.registry import Court
from batch.settings import Settings


@dataclass
class RunContext:
    settings: Settings
    client: PoliteClient
    journal: Journal
    run_id: str
    patterns: Patterns
    registry: dict[str, Court]
    snapshots: Path
    stopping: asyncio.Event
    now: Callable[[], datetime]
    on_row: Callable[[Outcome], None]  # progress: called as each row finishes
    #: Consecutive gave_up rows per court: the circuit breaker (see ``CourtBreaker``).
    court_failures: Counter[str] = field(default_factory=Counter)
    done: set[tuple[str, str, str]] = field(default_factory=set)

    def finished(self, row: AccountRow) -> bool:
        return row.identity in self.done

    def court_is_down(self, court: str) -> bool:
        return self.court_failures[court] >= self.settings.circuit_failures

    def note_court_result(self, court: str, outcome: Outcome) -> None:
        # Only a run of failures in a row puts a court aside: one success resets it.
        self.court_failures[court] = self.court_failures[court] + 1 if outcome is Outcome.GAVE_UP else 0

    def save_snapshot(self, row: AccountRow, step: str, body: bytes, secrets: list[str]) -> str:
        self.snapshots.mkdir(mode=0o700, exist_ok=True)
        path = self.snapshots / f"row{row.row}-{row.court}-{step}.html"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(snapshot_html(body, secrets))
        return f"{self.snapshots.name}/{path.name}"


def _row_secrets(row: AccountRow, token: str) -> list[str]:
    values = [row.pacer_password.reveal(), row.cmecf_password.reveal(), token]
    if row.pacer_otp_secret:
        values.append(row.pacer_otp_secret.reveal())
    return [v for v in values if v]


@dataclass
class AccountWorker:
    ctx: RunContext
    rows: list[AccountRow]

    async def run(self) -> None:
        ctx, first = self.ctx, self.rows[0]
        session = AccountSession(ctx.client, first, ctx.patterns)
        with logs.secret_scope(_row_secrets(first, "")):
            attempt_ids = {r.identity: ctx.journal.begin_attempt(r, ctx.run_id) for r in self.rows}
            started = time.monotonic()
            try:
                login = await session.login()
                if not login.token:
                    outcome = login.outcome or Outcome.UNRECOGNIZED_PAGE
                    for row in self.rows:
                        self._finish(
                            row,
                            RowResult(outcome, login.detail, attempts=1),
                            attempt_ids[row.identity],
                            started,
                        )
                    return
                try:
                    rows = (self._court_row(row, session, attempt_ids[row.identity]) for row in self.rows)
                    await asyncio.gather(*rows)
                finally:
                    await session.logout()  # also when stopping: the token is of no more use
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug in one account never stops the others
                logs.log.exception("account_failed", pacer_username=first.pacer_username)
                detail = f"internal error ({type(exc).__name__}); see the log"
                for row in self.rows:
                    if not ctx.finished(row):
                        self._finish(
                            row, RowResult(Outcome.GAVE_UP, detail), attempt_ids[row.identity], started
                        )

    async def _court_row(self, row: AccountRow, session: AccountSession, attempt_id: int) -> None:
        ctx = self.ctx
        started = time.monotonic()
        court = ctx.registry[row.court]
        if ctx.court_is_down(row.court):
            detail = (
                f"{row.court} failed {ctx.settings.circuit_failures} times in a row in this run "
                "and was put aside; rerun later"
            )
            self._finish(row, RowResult(Outcome.GAVE_UP, detail), attempt_id, started)
            return
        flow = CourtFlow(
            client=ctx.client,
            session=session,
            court=court,
            row=row,
            patterns=ctx.patterns,
            flow_attempts=ctx.settings.flow_attempts,
            confirm_pending=ctx.journal.confirm_pending(row),
            on_step=lambda step: ctx.journal.mark_step(attempt_id, step),
            on_confirm_sent=lambda: ctx.journal.mark_confirm_sent(attempt_id),
            save_snapshot=lambda step, body: ctx.save_snapshot(
                row, step, body, _row_secrets(row, session.token)
            ),
            stopping=ctx.stopping,
        )
        try:
            result = await asyncio.wait_for(flow.run(), timeout=ctx.settings.row_seconds)
        except Interrupted:
            result = RowResult(
                Outcome.INTERRUPTED,
                "the run was stopped before this row's confirm; nothing confirmed",
                attempts=flow.attempts,
            )
        except TimeoutError:
            result = RowResult(
                Outcome.GAVE_UP,
                f"no result after {ctx.settings.row_seconds:.0f} s; rerun later",
                attempts=flow.attempts,
                confirm_sent=flow.confirm_pending,
            )
        except asyncio.CancelledError:
            raise  # a second Ctrl-C: the run marks what did not finish as interrupted
        except Exception as exc:  # one bad row never stops the others
            logs.log.exception("row_failed", row=row.row, court=row.court)
            result = RowResult(
                Outcome.GAVE_UP,
                f"internal error ({type(exc).__name__}); see the log",
                attempts=flow.attempts,
                confirm_sent=flow.confirm_pending,
            )
        ctx.note_court_result(row.court, result.outcome)
        self._finish(row, result, attempt_id, started, token=session.token)

    def _finish(
        self, row: AccountRow, result: RowResult, attempt_id: int, started: float, token: str = ""
    ) -> None:
        ctx = self.ctx
        detail = logs.scrub(result.detail, _row_secrets(row, token))
        result = RowResult(result.outcome, detail, result.attempts, result.confirm_sent)
        ctx.journal.finish_row(row, ctx.run_id, result, attempt_id=attempt_id, finished_at=ctx.now())
        ctx.done.add(row.identity)
        logs.log.info(
            "row_finished",
            row=row.row,
            court=row.court,
            pacer_username=row.pacer_username,
            cmecf_login=row.cmecf_login,
            outcome=str(result.outcome),
            kind=str(result.outcome.kind),
            detail=detail,
            attempts=result.attempts,
            duration_ms=round((time.monotonic() - started) * 1000),
            run_id=ctx.run_id,
        )
        ctx.on_row(result.outcome)
