"""One run: read the sheet, decide what to send, link through the pool, write the results.

``run_job`` is the library function behind ``pacer-link run``; the CLI only parses
arguments, shows progress and maps the report to an exit code.
"""

from __future__ import annotations

import asyncio
import secrets as _random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from batch import logs
from batch.accounts import AccountRow
from batch.history import prior_rejections
from batch.journal import Decision, Journal
from batch.linking import AccountWorker, RunContext
from batch.outcomes import Outcome
from batch.pages import Patterns
from batch.pool import PoliteClient
from batch.registry import Court, default_registry
from batch.report import ResultLine, RunFacts
from batch.results import write_results
from batch.settings import Environment, Settings
from batch.workbook import Workbook, read_workbook

EXIT_OK, EXIT_ATTENTION, EXIT_NOTHING_SENT, EXIT_INTERRUPTED = 0, 1, 2, 130


class OutputError(Exception):
    """Raised before anything is sent when the results cannot go where they were asked to."""


@dataclass(frozen=True, slots=True)
class RunPaths:
    results: Path
    log: Path
    journal: Path
    snapshots: Path

    @classmethod
    def for_input(cls, workbook: Path, out: Path | None = None) -> RunPaths:
        """Where the run writes. ``--out`` may name the results workbook or a folder for it.
        Raises ``OutputError`` for an ``--out`` that cannot work, before anything is sent."""
        results = out or workbook.with_name(f"{workbook.stem}.results.xlsx")
        if results.is_dir() or (out is not None and not out.suffix and not out.exists()):
            results = results / f"{workbook.stem}.results.xlsx"  # a folder, made if need be
        if results.suffix.lower() != ".xlsx":
            raise OutputError(f"--out {out}: the results are an Excel workbook; give a name ending in .xlsx")
        if results.exists() and workbook.exists() and results.samefile(workbook):
            raise OutputError(f"--out {out}: that is the input workbook; give another name")
        folder, stem = results.parent, workbook.stem
        return cls(
            results=results,
            log=folder / f"{stem}.log.jsonl",
            journal=folder / f"{stem}.journal.sqlite",
            snapshots=folder / f"{stem}.snapshots",
        )


@dataclass(frozen=True, slots=True)
class RunOptions:
    workbook: Path
    sheet: str | None = None
    out: Path | None = None
    retry_unchanged: bool = False
    retry_outcomes: frozenset[Outcome] = frozenset()


@dataclass
class RunReport:
    exit_code: int
    paths: RunPaths
    facts: RunFacts
    lines: list[ResultLine] = field(default_factory=list)
    #: Why the results workbook could not be written ("" when it was). Every outcome is
    #: in the journal all the same, and the next run writes the workbook.
    results_error: str = ""

    @property
    def counts(self) -> Counter[Outcome]:
        return Counter(line.outcome for line in self.lines)


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{_random.token_hex(3)}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _log_to(path: Path) -> Iterator[None]:
    with logs.open_private(path) as f:
        logs.configure(f)
        try:
            yield
        finally:
            logs.configure(None)


async def run_job(
    options: RunOptions,
    settings: Settings,
    env: Environment,
    *,
    workbook: Workbook | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    registry: dict[str, Court] | None = None,
    stopping: asyncio.Event | None = None,
    stop_now: asyncio.Event | None = None,
    on_row: Callable[[Outcome], None] = lambda _o: None,
    now: Callable[[], datetime] = _utc_now,
) -> RunReport:
    """Link every row not yet done. Raises ``WorkbookError``/``JournalError`` before
    anything is sent when the sheet or the journal cannot be used."""
    registry = registry or default_registry()
    wb = workbook or read_workbook(options.workbook, sheet=options.sheet, registry=registry)
    paths = RunPaths.for_input(options.workbook, options.out)
    paths.results.parent.mkdir(parents=True, exist_ok=True)
    # ``stopping``: start no more rows, abandon rows before their confirm (a first Ctrl-C).
    # ``stop_now``: cancel the linking at once (a second Ctrl-C); the results are still written.
    stopping = stopping or asyncio.Event()
    stop_now = stop_now or asyncio.Event()
    started = now()
    run_id = new_run_id(started)
    this_run: Counter[str] = Counter()

    with ExitStack() as stack:
        journal = stack.enter_context(Journal.open(paths.journal))
        if journal.is_new():
            _refuse_prior_rejections(paths.journal, options, wb)
        stack.enter_context(_log_to(paths.log))
        journal.begin_run(
            run_id,
            environment=env.name,
            input_path=str(options.workbook),
            input_sha256=wb.sha256,
            started_at=started,
        )
        logs.log.info(
            "run_started",
            run_id=run_id,
            environment=env.name,
            input=str(options.workbook),
            input_sha256=wb.sha256,
            rows=len(wb.rows),
        )
        to_send: dict[str, list[AccountRow]] = {}
        for row in wb.accounts:
            decision, previous = journal.decide(
                row, retry_unchanged=options.retry_unchanged, retry_outcomes=options.retry_outcomes
            )
            if decision is Decision.SEND:
                to_send.setdefault(row.account_key, []).append(row)
            else:
                this_run[str(decision)] += 1
                outcome = previous.outcome if previous and previous.outcome else Outcome.INTERRUPTED
                _log_unsent(run_id, row.row, _row_keys(row), outcome, _SKIPPED[decision])
                on_row(outcome)
        for input_row in wb.rows:
            if input_row.problem is not None:
                _log_unsent(run_id, input_row.row, input_row.display, input_row.problem, input_row.detail)
                on_row(input_row.problem)

        client = PoliteClient(settings, env, transport=transport)
        ctx = RunContext(
            settings=settings,
            client=client,
            journal=journal,
            run_id=run_id,
            patterns=Patterns.from_config(settings.patterns),
            registry=registry,
            snapshots=paths.snapshots,
            stopping=stopping,
            now=now,
            on_row=on_row,
        )
        interrupted = False
        try:
            interrupted = await _link_until_stopped(ctx, to_send, stop_now)
        finally:
            await client.aclose()
            unfinished = [r for rows in to_send.values() for r in rows if not ctx.finished(r)]
            if unfinished:
                interrupted = True
                journal.mark_unfinished_interrupted(run_id, unfinished, now())
                for r in unfinished:
                    _log_unsent(run_id, r.row, _row_keys(r), Outcome.INTERRUPTED, _STOPPED)
            ended = now()
            lines = build_lines(wb, journal, run_id, ended)
            # What was sent, retried and decided comes from the journal, the one record of it.
            sent = journal.run_summary(run_id)
            this_run.update(sent, new=sent["sent"] - sent["retried"])
            facts = RunFacts(
                run_id=run_id,
                environment=env.name,
                input_path=str(options.workbook),
                input_sha256=wb.sha256,
                started_at=started,
                ended_at=ended,
                this_run=dict(this_run),
            )
            results_error = ""
            try:
                write_results(paths.results, wb.columns, lines, facts)
            except OSError as exc:  # a full disk, a folder made read-only mid-run...
                results_error = (
                    f"{paths.results}: the results could not be written ({exc.strerror or exc}); "
                    "every row's outcome is in the journal: fix that and run again to write them "
                    "(nothing done is sent again)"
                )
                logs.log.error("results_not_written", path=str(paths.results), error=exc.strerror)
            exit_code = exit_code_for(lines, interrupted)
            if results_error and exit_code == EXIT_OK:
                exit_code = EXIT_ATTENTION
            journal.end_run(run_id, ended_at=ended, exit_code=exit_code)
            logs.log.info(
                "run_finished",
                run_id=run_id,
                exit_code=exit_code,
                duration_s=round(facts.duration_seconds, 3),
                outcomes=dict(Counter(str(line.outcome) for line in lines)),
                **this_run,
            )
    return RunReport(exit_code=exit_code, paths=paths, facts=facts, lines=lines, results_error=results_error)


def _refuse_prior_rejections(journal: Path, options: RunOptions, wb: Workbook) -> None:
    """A new journal: stop if another journal beside it saw some of these rows rejected with
    these same passwords (a renamed copy of the sheet); sending them again locks accounts."""
    folders = {journal.parent, options.workbook.parent}
    found = [
        p
        for p in prior_rejections(journal, folders, wb.accounts)
        if not options.retry_unchanged and p.outcome not in options.retry_outcomes
    ]
    if found:
        rows = ", ".join(f"{p.row} ({p.outcome})" for p in found[:10]) + (" ..." if len(found) > 10 else "")
        raise OutputError(
            f"{len(found)} row(s) of this sheet were rejected with these same passwords in "
            f"{found[0].journal.name}, the journal of another workbook beside it (was the sheet "
            f"renamed, or --out changed?): rows {rows}. Sending them again can lock the accounts: "
            "run the workbook under its earlier name to continue its history, correct those rows, "
            "or pass --retry-unchanged to send them anyway"
        )


_SKIPPED = {
    Decision.SKIP_DONE: "skipped: done in an earlier run",
    Decision.SKIP_UNCHANGED: "skipped: unchanged since it failed; see next_step",
}
_STOPPED = "the run stopped before this row finished"


def _row_keys(row: AccountRow) -> dict[str, str]:
    return {"court": row.court, "pacer_username": row.pacer_username, "cmecf_login": row.cmecf_login}


def _log_unsent(run_id: str, row: int, keys: dict[str, str], outcome: Outcome, detail: str) -> None:
    """The ``row_finished`` line of a row this run did not finish by linking (skipped,
    invalid, or stopped), so that every row of the sheet has its one line per run."""
    logs.log.info(
        "row_finished",
        row=row,
        court=keys.get("court", ""),
        pacer_username=keys.get("pacer_username", ""),
        cmecf_login=keys.get("cmecf_login", ""),
        outcome=str(outcome),
        kind=str(outcome.kind),
        detail=detail,
        attempts=0,
        duration_ms=0,
        run_id=run_id,
    )


async def _link_until_stopped(
    ctx: RunContext, to_send: dict[str, list[AccountRow]], stop_now: asyncio.Event
) -> bool:
    """Link until done or ``stop_now``: cancelling only the linking, never what follows it,
    so the results are written whatever happens. Returns True if stopped early."""
    link = asyncio.create_task(_link_all(ctx, to_send))
    stop = asyncio.create_task(stop_now.wait())
    try:
        await asyncio.wait({link, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not link.done():
            link.cancel()
    stopped_early = await asyncio.gather(link, return_exceptions=True)
    return stop_now.is_set() or stopped_early[0] is not False


async def _link_all(ctx: RunContext, to_send: dict[str, list[AccountRow]]) -> bool:
    """Work through the accounts, ``concurrency`` at a time. Returns True if stopped early."""
    queue: asyncio.Queue[list[AccountRow]] = asyncio.Queue()
    for rows in to_send.values():
        queue.put_nowait(rows)

    async def worker() -> None:
        while not ctx.stopping.is_set():
            try:
                rows = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await AccountWorker(ctx, rows).run()

    workers = [asyncio.create_task(worker()) for _ in range(min(ctx.settings.concurrency, len(to_send)) or 1)]
    try:
        await asyncio.gather(*workers)
    except asyncio.CancelledError:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        return True
    return ctx.stopping.is_set()


def build_lines(wb: Workbook, journal: Journal, run_id: str, now: datetime) -> list[ResultLine]:
    """Every row of the current sheet with its latest outcome, from the journal."""
    records = journal.records()
    lines: list[ResultLine] = []
    for input_row in wb.rows:
        court = input_row.display.get("court", "").strip().lower()
        if input_row.account is None:
            outcome = input_row.problem or Outcome.INVALID_ROW
            lines.append(
                ResultLine(
                    input_row.row,
                    input_row.display,
                    court,
                    outcome,
                    input_row.detail,
                    outcome.next_step,
                    0,
                    0,
                    now,
                    run_id,
                )
            )
            continue
        rec = records.get("|".join(input_row.account.identity))
        if rec is None or rec.outcome is None:
            lines.append(
                ResultLine(
                    input_row.row,
                    input_row.display,
                    court,
                    Outcome.INTERRUPTED,
                    "the run stopped before this row was sent",
                    Outcome.INTERRUPTED.next_step,
                    0,
                    0,
                    now,
                    run_id,
                )
            )
            continue
        lines.append(
            ResultLine(
                input_row.row,
                input_row.display,
                court,
                rec.outcome,
                # How many runs it took, where more than one: the history of a row.
                f"{rec.detail} (after {rec.runs} runs)" if rec.runs > 1 else rec.detail,
                rec.outcome.next_step,
                rec.attempts,
                rec.runs,
                rec.finished_at,
                rec.run_id,
            )
        )
    return lines


def exit_code_for(lines: list[ResultLine], interrupted: bool) -> int:
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if all(line.outcome.is_done for line in lines) else EXIT_ATTENTION
