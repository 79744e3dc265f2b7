"""The court registry: which court ids exist, their type and PSC id.

Built from ``config/courts.csv``, a copy of the official court lookup (January 2023
snapshot). Courts of the same id (a circuit and its BAP) share one CM/ECF site; the
registry keeps the court of appeals' entry for them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from batch import CONFIG_DIR


class CourtType(StrEnum):
    DISTRICT = "district"
    BANKRUPTCY = "bankruptcy"
    APPELLATE = "appellate"


# The lookup's "National" courts (CIT, Federal Claims, JPML) run district CM/ECF.
_TYPE_OF_LOOKUP = {
    "District": CourtType.DISTRICT,
    "Bankruptcy": CourtType.BANKRUPTCY,
    "Appeals": CourtType.APPELLATE,
    "National": CourtType.DISTRICT,
}


@dataclass(frozen=True, slots=True)
class Court:
    id: str
    type: CourtType
    psc_id: str
    name: str
    nextgen: bool


def parse_registry(path: Path) -> dict[str, Court]:
    courts: dict[str, Court] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            court_id = rec["court"].strip().lower()
            if not court_id or not rec.get("login_url", "").startswith("https://ecf."):
                continue  # the case locator and the Supreme Court are not CM/ECF sites
            court = Court(
                id=court_id,
                type=_TYPE_OF_LOOKUP[rec["type"].strip()],
                psc_id=rec["psc_id"].strip(),
                name=rec["name"].strip(),
                nextgen="nextgen" in rec["software_version"].lower(),
            )
            # A circuit's BAP shares the circuit's id and site: keep the court of appeals.
            if court_id not in courts or court.psc_id.endswith("CA"):
                courts[court_id] = court
    return courts


@cache
def default_registry() -> dict[str, Court]:
    return parse_registry(CONFIG_DIR / "courts.csv")
