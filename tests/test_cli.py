"""The command line: production guard, exit codes, private files, no secret on the console."""

from __future__ import annotations

import stat
from pathlib import Path

from click.testing import CliRunner
from conftest import SAMPLES, write_xlsx

from batch import cli as cli_module
from batch.cli import cli


def _rows(pw: str, ecf: str) -> list[list[str]]:
    return [["Jane Q. Doe", "jdoe2019a", pw, "alsd", "jdoe", ecf]]


def test_production_without_yes_and_without_a_terminal_sends_nothing(tmp_path: Path):
    wb = write_xlsx(tmp_path / "p.xlsx", _rows("Some-Pacer-Pass-1", "Some-Ecf-Pass-111"))
    result = CliRunner().invoke(cli, ["run", str(wb), "--env", "production"])
    assert result.exit_code == 2
    assert "add --yes" in result.output
    assert not (tmp_path / "p.journal.sqlite").exists()  # nothing began


def test_production_refuses_a_config_that_points_elsewhere(tmp_path: Path):
    wb = write_xlsx(tmp_path / "p.xlsx", _rows("Some-Pacer-Pass-1", "Some-Ecf-Pass-111"))
    config = tmp_path / "evil.toml"
    config.write_text('[environments.production]\nlogin_url = "https://pacer.example.com"\n')
    result = CliRunner().invoke(
        cli, ["run", str(wb), "--env", "production", "--config", str(config), "--yes"]
    )
    assert result.exit_code == 2 and "only to https hosts under uscourts.gov" in result.output


def test_bad_config_and_bad_concurrency_are_usage_errors(tmp_path: Path):
    wb = write_xlsx(tmp_path / "p.xlsx", _rows("Some-Pacer-Pass-1", "Some-Ecf-Pass-111"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[rate\n")
    assert CliRunner().invoke(cli, ["run", str(wb), "--config", str(bad)]).exit_code == 2
    assert CliRunner().invoke(cli, ["run", str(wb), "--concurrency", "0"]).exit_code == 2


def test_outputs_are_private_and_the_console_shows_no_secret(tmp_path: Path):
    canary_pacer, canary_ecf = "CANARY-pacer-5e1d9c", "CANARY-ecf-77ab310"
    wb = write_xlsx(tmp_path / "c.xlsx", _rows(canary_pacer, canary_ecf))
    result = CliRunner().invoke(
        cli, ["run", str(wb), "--sandbox-directory", str(SAMPLES / "sandbox-directory.toml")]
    )
    assert result.exit_code == 1  # the sandbox rejects the canary password: pacer_bad_credentials
    assert canary_pacer not in result.output and canary_ecf not in result.output
    for name in ("c.results.xlsx", "c.log.jsonl", "c.journal.sqlite"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_an_unexpected_error_is_one_line_without_a_traceback(monkeypatch, capsys):
    def boom(*_args, **_kwargs):
        raise RuntimeError("password=CANARY-in-an-exception")

    monkeypatch.setattr(cli_module, "cli", boom)
    try:
        cli_module.main()
    except SystemExit as exc:
        assert exc.code == 2
    err = capsys.readouterr().err
    assert "internal error (RuntimeError)" in err
    assert "Traceback" not in err and "CANARY" not in err


def test_env_secrets_are_read_from_the_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("JANE_PACER_PW", "Pacer-Jane-2026!x")
    monkeypatch.setenv("JANE_ECF_PW", "Ecf-Alsd-Jane-2026")
    wb = write_xlsx(tmp_path / "e.xlsx", _rows("env:JANE_PACER_PW", "env:JANE_ECF_PW"))
    result = CliRunner().invoke(
        cli, ["run", str(wb), "--sandbox-directory", str(SAMPLES / "sandbox-directory.toml")]
    )
    assert result.exit_code == 0, result.output  # linked with the sample's Jane Q. Doe in alsd


def test_production_asks_first_and_a_no_sends_nothing(tmp_path: Path, monkeypatch):
    wb = write_xlsx(tmp_path / "p.xlsx", _rows("Some-Pacer-Pass-1", "Some-Ecf-Pass-111"))
    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    for answer in ("n\n", "\n", ""):  # no, the default (no), end of input
        result = CliRunner().invoke(cli, ["run", str(wb), "--env", "production"], input=answer)
        assert "This signs in to real PACER for 1 account and links 1 row. Continue?" in result.output
        assert result.exit_code == 2 and "not confirmed: nothing was sent" in result.output
        assert not (tmp_path / "p.journal.sqlite").exists()


def test_run_from_another_folder_finds_the_sample_sandbox(tmp_path: Path, monkeypatch):
    wb = tmp_path / "attorneys.xlsx"
    wb.write_bytes((SAMPLES / "attorneys.xlsx").read_bytes())
    monkeypatch.chdir(tmp_path)  # no samples/ folder here
    result = CliRunner().invoke(cli, ["run", "attorneys.xlsx"])
    assert result.exit_code == 1, result.output  # the sample's every-outcome mix
    assert (tmp_path / "attorneys.results.xlsx").exists()


def test_out_may_name_a_folder_and_refuses_what_cannot_work(tmp_path: Path):
    wb = tmp_path / "attorneys.xlsx"
    wb.write_bytes((SAMPLES / "attorneys.xlsx").read_bytes())
    folder = tmp_path / "results"
    folder.mkdir()
    ran = CliRunner().invoke(cli, ["run", str(wb), "--out", str(folder)])
    assert ran.exit_code == 1 and (folder / "attorneys.results.xlsx").exists()
    new_folder = tmp_path / "not-yet"  # a name without an extension is a folder, made for the run
    ran = CliRunner().invoke(cli, ["run", str(wb), "--out", str(new_folder)])
    assert ran.exit_code == 1 and (new_folder / "attorneys.results.xlsx").exists()
    for out, says in ((tmp_path / "r.csv", "ending in .xlsx"), (wb, "that is the input workbook")):
        result = CliRunner().invoke(cli, ["run", str(wb), "--out", str(out)])
        assert result.exit_code == 2 and says in result.output, result.output
    assert wb.read_bytes() == (SAMPLES / "attorneys.xlsx").read_bytes()


def test_results_that_cannot_be_written_lose_nothing(tmp_path: Path, monkeypatch):
    import errno

    from batch import run as run_module

    wb = tmp_path / "attorneys.xlsx"
    wb.write_bytes((SAMPLES / "attorneys.xlsx").read_bytes())

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(run_module, "write_results", disk_full)
    first = CliRunner().invoke(cli, ["run", str(wb)])
    assert first.exit_code == 1 and not (tmp_path / "attorneys.results.xlsx").exists()
    assert "the results could not be written (No space left on device)" in first.output
    assert "Traceback" not in first.output
    monkeypatch.undo()
    # The next run sends nothing new (every outcome is in the journal) and writes them.
    second = CliRunner().invoke(cli, ["run", str(wb)])
    assert second.exit_code == 1 and (tmp_path / "attorneys.results.xlsx").exists()
    assert "0 sent for the first time, 0 retried" in second.output


def test_ctrl_c_while_the_sheet_is_read_exits_130_and_says_nothing_was_sent(tmp_path: Path, monkeypatch):
    wb = write_xlsx(tmp_path / "p.xlsx", _rows("Some-Pacer-Pass-1", "Some-Ecf-Pass-111"))

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "read_workbook", interrupted)
    for command in ("run", "check"):
        result = CliRunner().invoke(cli, [command, str(wb)])
        assert result.exit_code == 130 and "interrupted; nothing was sent" in result.output
        assert "Aborted" not in result.output


def test_a_sheet_with_no_rows_is_nothing_to_do(tmp_path: Path):
    wb = write_xlsx(tmp_path / "empty.xlsx", [])
    for command in ("run", "check"):
        result = CliRunner().invoke(cli, [command, str(wb)])
        assert result.exit_code == 2 and "no rows under the header on row 1: nothing to do" in result.output
    assert not (tmp_path / "empty.journal.sqlite").exists()


def test_template_wants_an_xlsx_name_in_a_folder_that_exists(tmp_path: Path):
    for path, says in (
        (tmp_path / "t.csv", "give a name ending in .xlsx"),
        (tmp_path / "nodir" / "t.xlsx", "does not exist"),
    ):
        result = CliRunner().invoke(cli, ["template", str(path)])
        assert result.exit_code == 2 and says in result.output and not path.exists()
