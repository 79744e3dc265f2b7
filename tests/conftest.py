"""Shared test helpers: input workbooks and sandbox directories made on the fly."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest

HEADERS = (
    "attorney_name",
    "pacer_username",
    "pacer_password",
    "court",
    "cmecf_login",
    "cmecf_password",
    "pacer_otp_secret",
    "client_code",
)


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


@pytest.fixture
def canaries() -> dict[str, str]:
    """Secret values planted in inputs: no output may ever contain them."""
    return {
        "pacer": "CANARY-pacer-pw-4c1f9e",
        "ecf": "CANARY-ecf-pw-8b2d7a0",
        "otp": "CANARYOTPSECRETAAAAAAAAA",  # valid base32
    }
