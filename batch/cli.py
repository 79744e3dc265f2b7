"""The ``pacer-link`` command: a thin shell over ``batch.run.run_job`` and friends.

It parses arguments, shows progress, asks before production, and turns every error into
one line and an exit code (0 done, 1 some rows need attention, 2 nothing was sent,
130 interrupted). Tracebacks never reach the terminal: they go, scrubbed, to the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from batch import SAMPLE_DIRECTORY, logs
from batch.console import RunDisplay, print_check, print_summary
from batch.journal import JournalError
from batch.outcomes import Kind, Outcome
from batch.registry import default_registry
from batch.run import EXIT_INTERRUPTED, EXIT_NOTHING_SENT, OutputError, RunOptions, RunReport, run_job
from batch.sandbox.cli import sandbox_command
from batch.sandbox.directory import DirectoryError
from batch.settings import Environment, Settings, SettingsError, load_settings, resolve_environment
from batch.template import write_template
from batch.workbook import Workbook, WorkbookError, read_workbook

#: Outcomes given before anything is sent: resending the row changes nothing.
_NEVER_SENT = (Outcome.INVALID_ROW, Outcome.DUPLICATE_ROW)


class UsageProblem(click.ClickException):
    """Raised for anything that stops a command before it sends a request: exit 2."""

    exit_code = EXIT_NOTHING_SENT

    def show(self, file: object = None) -> None:
        click.echo(f"pacer-link: {logs.scrub(self.message)}", err=True)


@contextlib.contextmanager
def _expected_errors() -> Iterator[None]:
    try:
        yield
    except (WorkbookError, SettingsError, JournalError, DirectoryError, OutputError) as exc:
        raise UsageProblem(str(exc)) from None
    except KeyboardInterrupt:
        # Ctrl-C while a large sheet is read: click would say "Aborted!" and exit 1, which
        # means "some rows need attention". Nothing was sent; say so, with Ctrl-C's code.
        click.echo("pacer-link: interrupted; nothing was sent", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pacer-link")
def cli() -> None:
    """Link attorneys' court-issued CM/ECF accounts to their PACER accounts, in bulk."""


@contextlib.contextmanager
def open_environment(settings: Settings, name: str, directory: Path) -> Iterator[Environment]:
    """The hosts to talk to. ``sandbox`` starts the built-in sandbox for the run."""
    if name != "sandbox":
        yield resolve_environment(settings, name)
        return
    from batch.sandbox.server import SandboxServer

    if not directory.exists():
        raise UsageProblem(f"{directory}: sandbox directory file not found; pass --sandbox-directory FILE")
    with SandboxServer.from_file(directory) as server:
        yield resolve_environment(settings, name, port=server.port)


def _refuse_empty(wb: Workbook) -> None:
    if not wb.rows:
        where = f"{wb.path}" if wb.sheet == "csv" else f"{wb.path} (sheet {wb.sheet!r})"
        raise UsageProblem(
            f"{where}: no rows under the header on row {wb.header_row}: nothing to do; "
            "add one row per attorney and court"
        )


def _interactive() -> bool:
    return sys.stdin.isatty()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _confirm_production(rows: int, accounts: int, yes: bool) -> None:
    if yes:
        return
    if not _interactive():
        raise UsageProblem("--env production sends real logins; add --yes to run it without a terminal")
    question = (
        f"This signs in to real PACER for {_count(accounts, 'account')} and links "
        f"{_count(rows, 'row')}. Continue?"
    )
    # "No" (or Ctrl-C, or end of input) is a usage stop like any other: exit 2, nothing sent.
    try:
        go = click.confirm(question, default=False)
    except click.Abort:
        go = False
    if not go:
        raise UsageProblem("not confirmed: nothing was sent")


async def _run_with_signals(
    options: RunOptions, settings: Settings, env: Environment, display: RunDisplay, wb: Workbook
) -> RunReport:
    """Run with Ctrl-C (and SIGTERM) handled: the first stops starting rows, the second stops
    the linking at once; either way the results are written. The handlers stay in place
    until the process ends (``_ignore_further_signals``), so a late Ctrl-C cannot cut the
    results or the summary short."""
    stopping, stop_now = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stopping.is_set():
            display.note("Stopping now. Finished rows are kept; the results are being written.")
            stop_now.set()
        else:
            display.note(
                "Stopping: rows in flight finish or stop before their confirm. Ctrl-C again to stop now."
            )
            stopping.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    return await run_job(
        options, settings, env, workbook=wb, stopping=stopping, stop_now=stop_now, on_row=display.row_done
    )


def _ignore_further_signals() -> None:
    # asyncio puts the default handlers back when its loop closes; after an interrupted
    # run, one more Ctrl-C must not turn exit code 130 into a KeyboardInterrupt.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


@cli.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option(
    "--env",
    "env_name",
    default="sandbox",
    show_default=True,
    help="sandbox, qa, production, or an [environments.NAME] of --config.",
)
@click.option(
    "--sandbox-directory",
    type=click.Path(path_type=Path),
    default=SAMPLE_DIRECTORY,
    show_default="samples/sandbox-directory.toml",
    help="Accounts of the built-in sandbox (only with --env sandbox).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Results workbook (default: <input stem>.results.xlsx beside the input).",
)
@click.option("--config", type=click.Path(path_type=Path), help="TOML file laid over config/default.toml.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    help="Accounts worked on at once (each account's court rows run side by side).",
)
@click.option("--sheet", help="Sheet of the input workbook (default: the first).")
@click.option(
    "--retry-unchanged",
    is_flag=True,
    help="Also resend rows that failed for a reason a person must fix, although unchanged.",
)
@click.option(
    "--retry-outcome",
    "retry_outcomes",
    multiple=True,
    type=click.Choice(
        [str(o) for o in Outcome if o.kind is Kind.FIX and o not in _NEVER_SENT], case_sensitive=False
    ),
    help="Also resend unchanged rows that ended with this outcome (repeatable), e.g. after a "
    "name was fixed at the court; other rejected rows stay untouched.",
)
@click.option("--yes", is_flag=True, help="Do not ask before a production run.")
def run(
    workbook: Path,
    env_name: str,
    sandbox_directory: Path,
    out: Path | None,
    config: Path | None,
    concurrency: int | None,
    sheet: str | None,
    retry_unchanged: bool,
    retry_outcomes: tuple[str, ...],
    yes: bool,
) -> None:
    """Link every row of WORKBOOK not yet done; write results, log and journal."""
    with _expected_errors():
        settings = load_settings(config).with_concurrency(concurrency)
        wb = read_workbook(workbook, sheet=sheet, registry=default_registry())
        _refuse_empty(wb)
        options = RunOptions(
            workbook=workbook,
            sheet=sheet,
            out=out,
            retry_unchanged=retry_unchanged,
            retry_outcomes=frozenset(Outcome(o.lower()) for o in retry_outcomes),
        )
        with open_environment(settings, env_name, sandbox_directory) as env:
            if env_name == "production":
                _confirm_production(len(wb.accounts), len({r.account_key for r in wb.accounts}), yes)
            display = RunDisplay(total=len(wb.rows))
            with display:
                try:
                    report = asyncio.run(_run_with_signals(options, settings, env, display, wb))
                except KeyboardInterrupt:
                    raise SystemExit(EXIT_INTERRUPTED) from None
                if report.exit_code == EXIT_INTERRUPTED:
                    _ignore_further_signals()
    print_summary(report)
    sys.exit(report.exit_code)


@cli.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--sheet", help="Sheet of the input workbook (default: the first).")
def check(workbook: Path, sheet: str | None) -> None:
    """Validate WORKBOOK offline and say what is wrong, row by row. Sends nothing."""
    with _expected_errors():
        wb = read_workbook(workbook, sheet=sheet, registry=default_registry())
        _refuse_empty(wb)
    problems = print_check(wb)
    sys.exit(1 if problems else 0)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def template(path: Path, force: bool) -> None:
    """Write an empty input workbook: headers, court drop-down, instructions."""
    if path.suffix.lower() != ".xlsx":
        raise UsageProblem(f"{path}: the template is an Excel workbook; give a name ending in .xlsx")
    if not path.parent.is_dir():
        raise UsageProblem(f"{path}: the folder {path.parent} does not exist; create it or choose another")
    try:
        write_template(path, default_registry(), overwrite=force)
    except FileExistsError:
        raise UsageProblem(f"{path} exists: choose another path or add --force") from None
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot write it ({exc.strerror})") from None
    click.echo(f"Wrote {path}: fill in one row per attorney and court, then run `pacer-link check {path}`.")


cli.add_command(sandbox_command)


def main() -> None:
    logs.configure(None)  # no log line anywhere until a run opens its log file
    try:
        cli(prog_name="pacer-link")
    except Exception as exc:  # the last net: one line, never a traceback (it may hold secrets)
        logs.log.error("internal_error", error=type(exc).__name__)
        click.echo(
            f"pacer-link: internal error ({type(exc).__name__}); nothing more is shown "
            "because it could hold a secret. Please report it.",
            err=True,
        )
        sys.exit(EXIT_NOTHING_SENT)
