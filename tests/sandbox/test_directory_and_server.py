"""The directory file, the counters of a second link, and ``pacer-link sandbox`` as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from batch.sandbox.directory import DirectoryError, load_directory, parse_directory
from batch.sandbox.state import SandboxState

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[court]]\nid = "xx1"\ntype = "supreme"\n', "court entry 1 (id 'xx1'): unknown type 'supreme'"),
        (
            '[[pacer]]\nusername = "a1234567"\npassword = "p"\nname = "A"\n[[pacer]]\nusername = "A1234567"\n'
            'password = "q"\nname = "B"\n',
            "pacer entry 2 (username 'A1234567'): duplicate username",
        ),
        (
            '[[pacer]]\nusername = "a1234567"\nname = "A"\n',
            "pacer entry 1 (username 'a1234567'): password is missing",
        ),
        ('[[cmecf]]\ncourt = "nowhere"\nlogin = "x"\npassword = "p"\nname = "N"\n', "unknown court"),
        ("[faults]\nerror_rate = 2.0\n", "error_rate must be between 0 and 1"),
        ("[pacers]\n", "unknown section(s) pacers"),
    ],
)
def test_bad_directory_entries_are_named(text: str, message: str):
    with pytest.raises(DirectoryError) as info:
        parse_directory(tomllib.loads(text))
    assert message in str(info.value)


def test_malformed_toml_names_the_file(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[pacer]\n")
    with pytest.raises(DirectoryError, match=r"bad\.toml: not valid TOML"):
        load_directory(bad)


def test_a_second_link_of_the_same_pair_is_counted_as_a_defect():
    d = parse_directory(tomllib.loads('[[cmecf]]\ncourt = "alsd"\nlogin = "x"\npassword = "p"\nname = "N"\n'))
    state = SandboxState(d)
    acct = d.cmecf[("alsd", "x")]
    state.link("alsd", "someone1", acct)
    state.link("alsd", "someone1", acct)
    assert state.counters()["double_links"] == ["alsd/someone1"]


def test_sample_directory_loads():
    d = load_directory(REPO / "samples" / "sandbox-directory.toml")
    assert len(d.pacer) == 10 and d.courts["gud"].nextgen is False
    assert any(a.mfa_secret for a in d.pacer.values())


def test_sandbox_command_bad_file_exits_2_without_traceback(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[court]]\nid = "q"\ntype = "moon"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "batch.sandbox", "--directory", str(bad)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "unknown type 'moon'" in proc.stderr and "Traceback" not in proc.stderr


def test_sandbox_command_refuses_a_non_loopback_host():
    proc = subprocess.run(
        [sys.executable, "-m", "batch.sandbox", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        timeout=30,
    )
    assert proc.returncode != 0 and "loopback only" in proc.stderr


def test_sandbox_command_starts_fast_serves_and_stops_on_ctrl_c(tmp_path: Path):
    ready = tmp_path / "url"
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "batch.sandbox", "--port", "0", "--ready-file", str(ready)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=REPO,
    )
    try:
        while not ready.exists() and time.monotonic() - start < 15:
            time.sleep(0.02)
        started = time.monotonic() - start
        url = ready.read_text()
        assert httpx.get(f"{url}/_sandbox/counters").json()["logins"] == {}
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert f"pacer-link sandbox listening on {url}" in out and "stopped" in out
    assert started < 10  # "under a few seconds": measured, loosely, on a shared machine
