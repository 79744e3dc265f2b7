"""Settings: config overlay, environments, and the hosts production may talk to."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch.settings import SettingsError, load_settings, resolve_environment


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_polite_for_production():
    s = load_settings()
    prod = resolve_environment(s, "production")
    assert prod.login_url == "https://pacer.login.uscourts.gov"
    assert prod.court_base("alsd") == "https://ecf.alsd.uscourts.gov"
    assert prod.court_per_second <= 2 and prod.login_per_second <= 1


def test_config_overlays_defaults_and_names_an_environment(tmp_path: Path):
    path = _config(
        tmp_path,
        """
[run]
concurrency = 3
[environments.staging]
login_url = "http://127.0.0.1:9000"
court_url = "http://127.0.0.1:9000/ecf/{court}"
court_per_second = 7
""",
    )
    s = load_settings(path)
    assert s.concurrency == 3 and s.retry_attempts == 4  # the rest keeps its default
    env = resolve_environment(s, "staging")
    assert env.court_base("nysd") == "http://127.0.0.1:9000/ecf/nysd"
    assert env.court_per_second == 7 and env.login_per_second == s.login_per_second


@pytest.mark.parametrize(
    "login_url",
    [
        "http://pacer.login.uscourts.gov",  # no TLS
        "https://pacer.login.uscourts.gov.evil.example",
        "https://evil.example/uscourts.gov",
        "https://127.0.0.1:9000",
    ],
)
def test_production_refuses_hosts_outside_uscourts_even_from_config(tmp_path: Path, login_url: str):
    path = _config(tmp_path, f'[environments.production]\nlogin_url = "{login_url}"\n')
    with pytest.raises(SettingsError, match=r"production talks only to https hosts under uscourts\.gov"):
        resolve_environment(load_settings(path), "production")


def test_plain_http_only_on_loopback(tmp_path: Path):
    path = _config(
        tmp_path,
        """
[environments.lab]
login_url = "http://10.0.0.5"
court_url = "http://10.0.0.5/ecf/{court}"
""",
    )
    with pytest.raises(SettingsError, match="plain http is allowed only on loopback"):
        resolve_environment(load_settings(path), "lab")


def test_bad_values_and_files_say_what_to_fix(tmp_path: Path):
    with pytest.raises(SettingsError, match=r"\[rate\] court_per_second must be a number"):
        load_settings(_config(tmp_path, '[rate]\ncourt_per_second = "fast"\n'))
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(_config(tmp_path, "[rate\n"))
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "missing.toml")
    with pytest.raises(SettingsError, match="unknown environment 'nope'"):
        resolve_environment(load_settings(), "nope")


def test_qa_needs_its_court_hosts_from_a_config_file(tmp_path: Path):
    with pytest.raises(SettingsError, match=r"\[environments.qa\] court_url is missing"):
        resolve_environment(load_settings(), "qa")
    path = _config(tmp_path, '[environments.qa]\ncourt_url = "https://ecf-qa.{court}.uscourts.gov"\n')
    env = resolve_environment(load_settings(path), "qa")
    assert (
        env.login_url == "https://qa-login.uscourts.gov"
        and env.court_base("alsd") == "https://ecf-qa.alsd.uscourts.gov"
    )
