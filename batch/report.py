"""What the results workbook is made of: one line per input row and the facts of the run.

The run builds these from the journal at the end of every run; ``results.write_results``
turns them into the workbook. Nothing here holds a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from batch.outcomes import Outcome


@dataclass(frozen=True, slots=True)
class ResultLine:
    row: int  # the input sheet's own row number
    display: dict[str, str]  # the input's non-secret columns, in input order
    court: str  # lower-case court id as typed (may be unknown for an invalid row)
    outcome: Outcome
    detail: str
    next_step: str
    attempts: int  # times the link flow was tried for this row, over all runs (0: nothing sent)
    runs: int  # runs that sent this row
    finished_at: datetime | None  # UTC
    run_id: str  # the run that decided the outcome


@dataclass(frozen=True, slots=True)
class RunFacts:
    run_id: str
    environment: str
    input_path: str
    input_sha256: str
    started_at: datetime  # UTC
    ended_at: datetime  # UTC
    #: What this run did: rows sent, new links, rows retried (sent before), rows skipped
    #: as done, rows skipped as unchanged "fix" rows, rows interrupted.
    this_run: dict[str, int] = field(default_factory=dict)

    @property
    def duration_seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()
