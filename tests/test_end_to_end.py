"""The sample workbook end to end against the sandbox on a loopback port."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import SAMPLES, all_output_bytes, run_against, xlsx_text

from batch.cli import cli
from batch.outcomes import Outcome

# Row number (the sheet's own; the header is on row 3) -> expected outcome.
EXPECTED = {
    4: "linked",
    5: "linked",
    6: "linked",
    7: "linked",
    8: "already_linked",
    9: "name_mismatch",
    10: "linked",
    11: "linked",
    12: "pacer_bad_credentials",
    13: "pacer_bad_credentials",
    14: "pacer_account_disabled",
    15: "pacer_not_upgraded",
    16: "ecf_bad_credentials",
    17: "linked",
    18: "ecf_locked_out",
    19: "ecf_linked_elsewhere",
    20: "court_not_nextgen",
    21: "unrecognized_page",
    22: "linked",
    23: "invalid_row",
    24: "invalid_row",
    25: "invalid_row",
    26: "duplicate_row",
}


def test_sample_workbook_every_row_right(sample_copy: Path, sample_sandbox):
    job = run_against(sample_sandbox, sample_copy)
    got = {line.row: str(line.outcome) for line in job.report.lines}
    assert got == EXPECTED
    assert job.report.exit_code == 1

    # Sheets: Results has every row in input order; Needs attention only the rows not done.
    wb = openpyxl.load_workbook(job.report.paths.results)
    assert wb.sheetnames == ["Results", "Needs attention", "Summary"]
    results = list(wb["Results"].iter_rows(values_only=True))
    header = results[0]
    assert header[0] == "row" and header[-6:] == (
        "outcome",
        "detail",
        "next_step",
        "attempts",
        "finished_at",
        "run_id",
    )
    assert "office" not in header and "Office" in header  # other columns are kept as written
    assert not {"pacer_password", "cmecf_password", "pacer_otp_secret"} & set(header)
    assert [r[0] for r in results[1:]] == sorted(EXPECTED)
    attention = [r[0] for r in wb["Needs attention"].iter_rows(min_row=2, values_only=True)]
    assert attention == [r for r, o in sorted(EXPECTED.items()) if o not in ("linked", "already_linked")]
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["linked"] == 8 and summary["invalid_row"] == 3 and summary["total"] == 23
    assert wb["Results"].freeze_panes == "A2" and wb["Results"].auto_filter.ref

    # The log: one row_finished line per row of the sheet, sent or not, with its fields.
    events = [json.loads(line) for line in job.report.paths.log.read_text().splitlines()]
    finished = [e for e in events if e["event"] == "row_finished"]
    assert {e["row"]: e["outcome"] for e in finished} == EXPECTED and len(finished) == len(EXPECTED)
    assert all({"row", "court", "outcome", "attempts", "duration_ms"} <= e.keys() for e in finished)
    assert events[-1]["event"] == "run_finished"

    # The snapshot of the unknown page was saved, with no form token or password in it.
    snapshot = job.report.paths.snapshots / "row21-flsb-credentials.html"
    assert snapshot.exists() and b"maintenance" in snapshot.read_bytes()
    assert (
        snapshot.stat().st_mode & 0o777 == 0o600
        and job.report.paths.snapshots.stat().st_mode & 0o777 == 0o700
    )


def test_one_login_per_account_and_a_logout(sample_copy: Path, sample_sandbox):
    job = run_against(sample_sandbox, sample_copy)
    logins = job.counters["logins"]
    # jdoe2019a has three courts, yet one login; every account sent once.
    assert logins == {
        u: 1
        for u in (
            "jdoe2019a",
            "rsmith2020",
            "mgarcia2018",
            "badpacer01",
            "disabled01",
            "legacyacct",
            "klee2021x",
            "tnguyen22",
            "pwhite2017",
            "abrown2016",
        )
    }
    assert job.counters["logouts"] == 7  # the seven accounts whose login worked
    assert job.counters["double_links"] == []


def test_rerun_sends_nothing_new_and_keeps_every_row(sample_copy: Path, sample_sandbox):
    first = run_against(sample_sandbox, sample_copy)
    sample_sandbox.state.reset_counters()
    second = run_against(sample_sandbox, sample_copy)
    assert [(x.row, x.outcome) for x in first.report.lines] == [
        (x.row, x.outcome) for x in second.report.lines
    ]
    assert second.counters["logins"] == {}  # done and unchanged "fix" rows are not sent again
    assert second.report.facts.this_run == {
        "skip_done": 9,
        "skip_unchanged": 10,
        "sent": 0,
        "retried": 0,
        "new": 0,
        "linked_now": 0,
    }
    assert first.report.facts.this_run["new"] == 19 and first.report.facts.this_run["linked_now"] == 8
    # The rerun's log still has one row_finished line per row, saying why it was not sent.
    events = [json.loads(line) for line in second.report.paths.log.read_text().splitlines()]
    run_id = second.report.facts.run_id
    finished = [e for e in events if e["event"] == "row_finished" and e["run_id"] == run_id]
    assert {e["row"]: e["outcome"] for e in finished} == EXPECTED and len(finished) == len(EXPECTED)
    details = {e["detail"] for e in finished if e["row"] in (4, 12)}
    assert details == {
        "skipped: done in an earlier run",
        "skipped: unchanged since it failed; see next_step",
    }


def test_retry_outcome_resends_only_rows_with_that_outcome(sample_copy: Path, sample_sandbox):
    # After the name was fixed at the court, a person resends that one row: the rejected
    # passwords of the other rows are not sent again (--retry-unchanged would resend them).
    run_against(sample_sandbox, sample_copy)
    sample_sandbox.state.reset_counters()
    again = run_against(sample_sandbox, sample_copy, retry_outcomes=frozenset({Outcome.NAME_MISMATCH}))
    mismatch_row = next(r for r, o in EXPECTED.items() if o == "name_mismatch")
    assert again.report.facts.this_run["retried"] == 1
    sent_for = {x.row for x in again.report.lines if x.runs == 2}
    assert sent_for == {mismatch_row}
    assert again.counters["bad_logins"] == {} and again.counters["bad_credential_submissions"] == {}
    assert len(again.counters["logins"]) == 1


def test_no_secret_in_any_output(sample_copy: Path, sample_sandbox):
    """Every password and OTP secret of the sample is a canary: none may appear anywhere."""
    from samples.make_samples import CMECF, MFA, PACER

    job = run_against(sample_sandbox, sample_copy)
    wb = openpyxl.load_workbook(SAMPLES / "attorneys.xlsx")
    secrets = {MFA, *(p[1] for p in PACER), *(c[2] for c in CMECF)}
    secrets |= {
        str(row[i]) for row in wb.active.iter_rows(min_row=4, values_only=True) for i in (2, 5) if row[i]
    }
    outputs = all_output_bytes(sample_copy.parent).replace(sample_copy.read_bytes(), b"")
    text = xlsx_text(job.report.paths.results)
    for secret in secrets:
        assert secret.encode() not in outputs, secret
        assert secret not in text, secret


def test_cli_run_check_and_template(tmp_path: Path, sample_copy: Path):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["run", str(sample_copy), "--sandbox-directory", str(SAMPLES / "sandbox-directory.toml")]
    )
    assert result.exit_code == 1, result.output
    assert "linked" in result.output and "Results:" in result.output
    result = runner.invoke(cli, ["check", str(sample_copy)])
    assert result.exit_code == 1 and "row 23: invalid_row: column cmecf_password is empty" in result.output
    template = tmp_path / "blank.xlsx"
    assert runner.invoke(cli, ["template", str(template)]).exit_code == 0
    again = runner.invoke(cli, ["template", str(template)])
    assert again.exit_code == 2 and "exists" in again.output
    check = runner.invoke(cli, ["check", str(template)])
    assert check.exit_code == 2 and "nothing to do" in check.output


def test_cli_unusable_workbook_sends_nothing(tmp_path: Path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    result = CliRunner().invoke(cli, ["run", str(bad)])
    assert result.exit_code == 2
    assert "unsupported file type '.txt'" in result.output and "Traceback" not in result.output


def test_outcome_vocabulary_is_the_contract():
    assert [o.value for o in Outcome] == [
        "linked",
        "already_linked",
        "name_mismatch",
        "pacer_bad_credentials",
        "pacer_account_disabled",
        "pacer_not_upgraded",
        "ecf_bad_credentials",
        "ecf_locked_out",
        "ecf_linked_elsewhere",
        "court_not_nextgen",
        "invalid_row",
        "duplicate_row",
        "unrecognized_page",
        "gave_up",
        "interrupted",
    ]
