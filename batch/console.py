"""What a person sees in the terminal: a progress bar with counts per outcome while the
run goes (only on a terminal), and a summary table at the end. Never a secret: only
outcomes, counts, row numbers and file paths are printed."""

from __future__ import annotations

from collections import Counter
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from batch.outcomes import Kind, Outcome
from batch.run import RunReport
from batch.workbook import Workbook, check_report

_COLOR = {Kind.DONE: "green", Kind.FIX: "yellow", Kind.RETRY: "cyan"}

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class RunDisplay:
    """A progress bar on a terminal; silent otherwise (logs and CI stay clean)."""

    def __init__(self, total: int) -> None:
        self.counts: Counter[Outcome] = Counter()
        self._progress: Progress | None = None
        if err_console.is_terminal:
            self._progress = Progress(
                TextColumn("linking"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=err_console,
                transient=True,
            )
            self._task = self._progress.add_task("", total=total)

    def __enter__(self) -> RunDisplay:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        if self._progress:
            self._progress.stop()

    def row_done(self, outcome: Outcome) -> None:
        self.counts[outcome] += 1
        if self._progress:
            text = "  ".join(f"[{_COLOR[o.kind]}]{o}[/] {n}" for o, n in sorted(self.counts.items()))
            self._progress.update(self._task, advance=1, description=text)

    def note(self, message: str) -> None:
        err_console.print(message)


def print_summary(report: RunReport) -> None:
    counts = report.counts
    table = Table(title=f"pacer-link run {report.facts.run_id} ({report.facts.environment})")
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    table.add_column("kind")
    for outcome in Outcome:
        if counts[outcome]:
            color = _COLOR[outcome.kind]
            table.add_row(f"[{color}]{outcome}[/]", str(counts[outcome]), f"[{color}]{outcome.kind}[/]")
    console.print(table)
    attention = sum(n for o, n in counts.items() if not o.is_done)
    if attention:
        console.print(
            f"{attention} rows need attention: see the Needs attention sheet, whose next_step "
            "column says what to do for each."
        )
    this = report.facts.this_run
    console.print(
        f"This run: {this.get('new', 0)} sent for the first time, "
        f"{this.get('retried', 0)} retried, {this.get('skip_done', 0)} skipped as done, "
        f"{this.get('skip_unchanged', 0)} skipped as unchanged (need a fix), "
        f"in {report.facts.duration_seconds:.1f} s."
    )
    if report.results_error:
        console.print(f"[bold red]Results not written[/]: {escape(report.results_error)}")
    else:
        console.print(f"Results: {report.paths.results}")
    console.print(f"Log:     {report.paths.log}")
    console.print(f"Journal: {report.paths.journal}")


def print_check(wb: Workbook) -> int:
    """Print ``check_report``'s lines; returns the number of rows that need a fix."""
    for line in check_report(wb):
        console.print(line)
    return len(wb.problems)
