"""Synthetic workloads for the benchmark: a sandbox directory and the workbook that matches it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from batch.registry import CourtType, default_registry


@dataclass(frozen=True)
class Workload:
    directory: Path
    workbook: Path
    accounts: int
    rows_by_court: Mapping[str, int]
    court_types: Mapping[str, str]

    def requests_per_host(self, per_row: Mapping[str, int]) -> dict[str, int]:
        hosts = {c: n * per_row[self.court_types[c]] for c, n in self.rows_by_court.items()}
        hosts["login"] = 2 * self.accounts  # one login and one logout per account
        return hosts


def pick_courts(k: int) -> list[str]:
    registry = default_registry()
    ids = sorted(c.id for c in registry.values() if c.type is not CourtType.APPELLATE)
    return ids[:: max(1, len(ids) // k)][:k]


def make_workload(
    folder: Path, *, rows: int, courts: int, per_account: int, latency_ms: int, rate_limit: int
) -> Workload:
    folder.mkdir(parents=True, exist_ok=True)
    court_ids = pick_courts(courts)
    per_account = min(per_account, len(court_ids))
    accounts = -(-rows // per_account)
    directory: list[str] = []
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Attorneys")
    ws.append(["attorney_name", "pacer_username", "pacer_password", "court", "cmecf_login", "cmecf_password"])
    by_court: Counter[str] = Counter()
    made = 0
    for a in range(accounts):
        user, name = f"bench{a:06d}", f"Attorney {a:06d} Bench"
        directory += [
            "[[pacer]]",
            f'username = "{user}"',
            f'password = "pacer-pw-{a:06d}-xx"',
            f'name = "{name}"',
            "",
        ]
        for j in range(per_account):
            if made == rows:
                break
            court = court_ids[(a + j) % len(court_ids)]
            login = f"ecf{a:06d}{court}"
            directory += [
                "[[cmecf]]",
                f'court = "{court}"',
                f'login = "{login}"',
                f'password = "ecf-pw-{a:06d}-{court}"',
                f'name = "Bench, Attorney {a:06d}"',
                "",
            ]
            ws.append([name, user, f"pacer-pw-{a:06d}-xx", court, login, f"ecf-pw-{a:06d}-{court}"])
            by_court[court] += 1
            made += 1
    directory += ["[faults]", "seed = 1", f"latency_ms = {latency_ms}", f"rate_limit = {rate_limit}"]
    (folder / "directory.toml").write_text("\n".join(directory) + "\n", encoding="utf-8")
    wb.save(folder / "bench.xlsx")
    types = {c: default_registry()[c].type.value for c in court_ids}
    return Workload(folder / "directory.toml", folder / "bench.xlsx", accounts, dict(by_court), types)
