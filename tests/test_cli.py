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
