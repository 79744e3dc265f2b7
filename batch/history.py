"""Rejected passwords that a renamed workbook would send again.

The journal is named after the workbook (contract.md), so a copy saved under another name
("Save As attorneys-v2.xlsx"), or a run with another ``--out``, starts a new journal that
does not know which passwords were rejected. Before a new journal's first run, the other
journals beside it and beside the workbook are read, read-only, for rows of this sheet
that were rejected with exactly these contents (each journal's fingerprints are checked
with its own key, so nothing about a password is learnt that the journal did not hold).
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from batch.accounts import AccountRow
from batch.fingerprints import identity_key, row_fingerprint
from batch.outcomes import Outcome

#: Outcomes whose unchanged resend spends a try towards a lockout.
REJECTED = (Outcome.PACER_BAD_CREDENTIALS, Outcome.ECF_BAD_CREDENTIALS, Outcome.ECF_LOCKED_OUT)


@dataclass(frozen=True, slots=True)
class PriorRejection:
    row: int  # in the current sheet
    outcome: Outcome
    journal: Path  # the other journal that recorded it


def prior_rejections(
    journal: Path, folders: Iterable[Path], rows: Iterable[AccountRow]
) -> list[PriorRejection]:
    """Rows of this sheet that another journal in ``folders`` saw rejected, unchanged since."""
    by_identity = {identity_key(r): r for r in rows}
    others = {p.resolve() for f in folders for p in f.glob("*.journal.sqlite")} - {journal.resolve()}
    found = [
        PriorRejection(by_identity[identity].row, outcome, other)
        for other in sorted(others)
        for identity, outcome in _rejected_rows(other, by_identity)
    ]
    return sorted(found, key=lambda p: p.row)


def _rejected_rows(path: Path, by_identity: dict[str, AccountRow]) -> Iterator[tuple[str, Outcome]]:
    """(identity, outcome) of this sheet's rows that ``path`` saw rejected with the same contents."""
    marks = ",".join("?" * len(REJECTED))
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            (key,) = db.execute("SELECT value FROM meta WHERE key = 'hmac_key'").fetchone() or ("",)
            rejected = db.execute(
                f"SELECT identity, outcome, fingerprint FROM rows WHERE outcome IN ({marks})",
                [str(o) for o in REJECTED],
            ).fetchall()
        finally:
            db.close()
        secret = bytes.fromhex(key)
    except (sqlite3.Error, ValueError):
        return  # not a journal this version can read: there is nothing to learn from it
    for identity, outcome, fingerprint in rejected:
        row = by_identity.get(identity)
        if row is not None and secret and hmac.compare_digest(fingerprint, row_fingerprint(secret, row)):
            yield identity, Outcome(outcome)
