"""Settings: config overlay, environments, and the hosts production may talk to."""

from __future__ import annotations

import re
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


# -- every bad --config file is a SettingsError before anything runs ----------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[patterns]\nfoo = "(("\n', r"\[patterns\] has unknown key 'foo'; known keys: .*linked"),
        ("[patterns]\nlinked = []\n", r"\[patterns\] linked must be a list of texts"),
        ("[patterns]\nlogout_href = 5\n", r"\[patterns\] logout_href must be a non-empty text, not 5"),
        ('[patterns]\nlocked = ["fine", 3]\n', r"\[patterns\] locked must be a non-empty text, not 3"),
        ('[patterns.filing_menus]\ndistrict = ""\n', r"\[patterns\] filing_menus\.district must be"),
        (
            '[patterns.filing_menus]\ntax = ["T"]\n',
            r"\[patterns\.filing_menus\] has unknown court type 'tax'; known: district",
        ),
        ("patterns = 3\n", r"\[patterns\] must be a table .*not a number"),
        (
            "[[patterns]]\nlinked = 1\n",
            r"\[patterns\] must be a table .*not an array of tables \(\[\[patterns\]\]\)",
        ),
        ('[patterns]\nfiling_menus = ["Civil"]\n', r"\[patterns\.filing_menus\] must be a table"),
    ],
)
def test_bad_patterns_are_refused_when_settings_load(tmp_path: Path, text: str, message: str):
    # Before, these reached Patterns.from_config in the middle of a run: "internal error (ValueError)".
    path = _config(tmp_path, text)
    with pytest.raises(SettingsError, match=rf"^{re.escape(str(path))}: {message}"):
        load_settings(path)


@pytest.mark.parametrize("section", ["run", "rate", "timeouts", "retries", "circuit", "environments"])
@pytest.mark.parametrize(
    ("template", "kind"),
    [
        ("[[{s}]]\nx = 1\n", r"an array of tables \(\[\[{s}\]\]\)"),
        ("{s} = 3\n", "a number"),
        ('{s} = "fast"\n', "a text"),
        ("{s} = [1, 2]\n", "an array"),
    ],
)
def test_every_section_must_be_a_table(tmp_path: Path, section: str, template: str, kind: str):
    path = _config(tmp_path, template.format(s=section))
    message = rf"^{re.escape(str(path))}: \[{section}\] must be a table .*not {kind.format(s=section)}$"
    with pytest.raises(SettingsError, match=message):
        load_settings(path)


def test_an_environment_must_be_a_table(tmp_path: Path):
    path = _config(tmp_path, '[[environments.staging]]\nlogin_url = "https://x.example"\n')
    with pytest.raises(SettingsError, match=r"\[environments\.staging\] must be a table"):
        load_settings(path)
    path = _config(tmp_path, "[environments]\nsandbox = 1\n")
    with pytest.raises(SettingsError, match=r"\[environments\.sandbox\] must be a table .*not a number"):
        load_settings(path)


def test_a_file_not_in_utf8_names_the_file_and_the_line(tmp_path: Path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("# pacer-link\n[run]\nconcurrency = 2  # café\n".encode("cp1252"))
    message = rf"^{re.escape(str(path))}: not UTF-8 text \(byte 0xe9 on line 3\); save the file as UTF-8$"
    with pytest.raises(SettingsError, match=message):
        load_settings(path)


def test_a_folder_is_not_a_config_file(tmp_path: Path):
    with pytest.raises(
        SettingsError, match=rf"^{re.escape(str(tmp_path))}: is a folder, not a configuration file"
    ):
        load_settings(tmp_path)


def test_a_bad_value_names_the_file_that_set_it(tmp_path: Path):
    path = _config(tmp_path, "[run]\nconcurrency = 0\n")
    with pytest.raises(SettingsError, match=rf"^{re.escape(str(path))}: \[run\] concurrency must be a whole"):
        load_settings(path)


def test_valid_patterns_still_overlay_the_defaults(tmp_path: Path):
    path = _config(
        tmp_path,
        '[patterns]\nlocked = "temporarily disabled"\n[patterns.filing_menus]\ndistrict = ["Query"]\n',
    )
    s = load_settings(path)
    assert s.patterns["locked"] == "temporarily disabled"
    assert s.patterns["filing_menus"] == {
        "district": ["Query"],
        "bankruptcy": ["Bankruptcy", "Adversary"],
        "appellate": ["Filing"],
    }
    assert s.patterns["linked"] == load_settings().patterns["linked"]
