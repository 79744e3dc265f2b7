"""Shared test helpers: input workbooks and sandbox directories made on the fly."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest

from batch.accounts import KNOWN_COLUMNS

HEADERS = KNOWN_COLUMNS  # the required columns, then the optional ones


def write_xlsx(path: Path, rows: Iterable[Sequence[object]], headers: Sequence[str] = HEADERS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def write_csv(path: Path, rows: Iterable[Sequence[object]], headers: Sequence[str] = HEADERS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows(rows)
    return path


def toml_directory(
    pacer: Iterable[Mapping[str, object]],
    cmecf: Iterable[Mapping[str, object]],
    courts: Iterable[Mapping[str, object]] = (),
    faults: Mapping[str, object] | None = None,
) -> str:
    """A sandbox directory file (contract.md format) as text."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    out: list[str] = []
    for table, entries in (("court", courts), ("pacer", pacer), ("cmecf", cmecf)):
        for entry in entries:
            out.append(f"[[{table}]]")
            out.extend(f"{k} = {value(v)}" for k, v in entry.items())
            out.append("")
    if faults:
        out.append("[faults]")
        out.extend(f"{k} = {value(v)}" for k, v in faults.items())
    return "\n".join(out) + "\n"


def synthetic_accounts(
    n: int, courts: Sequence[str], prefix: str = "attorney"
) -> tuple[list[dict], list[dict], list[list[str]]]:
    """``n`` PACER accounts, each with a CM/ECF account in every court, all linkable:
    the directory entries (pacer, cmecf) and the matching workbook rows."""
    pacer: list[dict] = []
    cmecf: list[dict] = []
    rows: list[list[str]] = []
    for i in range(n):
        user, name, pw = f"{prefix}{i:04d}", f"Avery {i:04d} {prefix.title()}", f"Pacer-{prefix}-{i:04d}"
        pacer.append({"username": user, "password": pw, "name": name})
        for court in courts:
            login, ecf_pw = f"{prefix[:2]}{i:04d}", f"Ecf-{prefix}-{court}-{i:04d}"
            cmecf.append(
                {
                    "court": court,
                    "login": login,
                    "password": ecf_pw,
                    "name": f"{prefix.title()}, Avery {i:04d}",
                }
            )
            rows.append([name, user, pw, court, login, ecf_pw])
    return pacer, cmecf, rows


@pytest.fixture
def canaries() -> dict[str, str]:
    """Secret values planted in inputs: no output may ever contain them."""
    return {
        "pacer": "CANARY-pacer-pw-4c1f9e",
        "ecf": "CANARY-ecf-pw-8b2d7a0",
        "otp": "CANARYOTPSECRETAAAAAAAAA",  # valid base32
    }


# -- running the job against a real sandbox on a loopback port ---------------------------

import asyncio  # noqa: E402
import shutil  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402

from batch.run import RunOptions, RunReport, run_job  # noqa: E402
from batch.sandbox.directory import parse_directory  # noqa: E402
from batch.sandbox.server import SandboxServer  # noqa: E402
from batch.settings import Settings, load_settings, resolve_environment  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"


def fast_settings(**over: object) -> Settings:
    """Defaults with short waits, so fault tests take seconds, not minutes."""
    base = replace(load_settings(), retry_initial_wait=0.01, retry_max_wait=0.05, concurrency=8)
    return replace(base, **over)


@dataclass
class Job:
    report: RunReport
    counters: dict


def run_against(
    server: SandboxServer,
    workbook: Path,
    *,
    settings: Settings | None = None,
    retry_unchanged: bool = False,
    retry_outcomes: frozenset = frozenset(),
    stopping: asyncio.Event | None = None,
    court_per_second: float | None = None,
) -> Job:
    settings = settings or fast_settings()
    env = resolve_environment(settings, "sandbox", port=server.port)
    if court_per_second is not None:
        env = replace(env, court_per_second=court_per_second)
    options = RunOptions(workbook=workbook, retry_unchanged=retry_unchanged, retry_outcomes=retry_outcomes)
    report = asyncio.run(run_job(options, settings, env, stopping=stopping))
    return Job(report, server.state.counters())


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """The sample workbook in a folder of its own (results, log and journal land beside it)."""
    target = tmp_path / "attorneys.xlsx"
    shutil.copy(SAMPLES / "attorneys.xlsx", target)
    return target


@pytest.fixture
def sample_sandbox():
    from batch.sandbox.directory import load_directory

    with SandboxServer(load_directory(SAMPLES / "sandbox-directory.toml")) as server:
        yield server


def sandbox_from(text: str) -> SandboxServer:
    import tomllib

    return SandboxServer(parse_directory(tomllib.loads(text)))


def all_output_bytes(folder: Path) -> bytes:
    """Every file a run wrote in ``folder`` (results, log, journal and its WAL, snapshots)."""
    chunks = []
    for path in sorted(folder.rglob("*")):
        if (path.is_file() and path.suffix not in (".xlsx",)) or path.name.endswith(".results.xlsx"):
            chunks.append(path.read_bytes())
    return b"\n".join(chunks)


def xlsx_text(path: Path) -> str:
    """All cell text of a workbook (xlsx is zipped: search its cells, not its bytes)."""
    wb = openpyxl.load_workbook(path)
    return "\n".join(
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
    )
