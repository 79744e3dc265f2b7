"""The directory file, the counters of a second link, and ``pacer-link sandbox`` as a process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from batch.sandbox.directory import DirectoryError, PacerAccount, load_directory, parse_directory
from batch.sandbox.server import SandboxServer
from batch.sandbox.state import SandboxState

REPO = Path(__file__).resolve().parents[2]
MFA = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _pacer_with_mfa(secret: str) -> str:
    return f'[[pacer]]\nusername = "a1234567"\npassword = "p"\nname = "A"\nmfa_secret = "{secret}"\n'


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
        pytest.param(
            _pacer_with_mfa("!!notbase32!!"),
            "pacer entry 1 (username 'a1234567'): mfa_secret is not base32 (it has '!')",
            id="mfa-not-base32",
        ),
        pytest.param(
            _pacer_with_mfa("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"),
            "mfa_secret is not base32 (it has ' ')",
            id="mfa-with-spaces",
        ),
        pytest.param(
            _pacer_with_mfa("JBSWY3DP"),
            "pacer entry 1 (username 'a1234567'): mfa_secret is too short (8 characters)",
            id="mfa-8-chars",
        ),
        pytest.param(
            _pacer_with_mfa("JBSWY3DPEHPK3PXP"), "mfa_secret is too short (16 characters)", id="mfa-16-chars"
        ),
        pytest.param(  # 25 characters: no whole number of bytes in base32
            _pacer_with_mfa("JBSWY3DPEHPK3PXPJBSWY3DPE"), "mfa_secret is not usable", id="mfa-25-chars"
        ),
    ],
)
def test_bad_directory_entries_are_named(text: str, message: str):
    with pytest.raises(DirectoryError) as info:
        parse_directory(tomllib.loads(text))
    assert message in str(info.value)


@pytest.mark.parametrize("secret", [MFA, MFA.lower(), MFA[:23]])
def test_a_usable_mfa_secret_is_accepted(secret: str):
    d = parse_directory(tomllib.loads(_pacer_with_mfa(secret)))
    assert d.pacer["a1234567"].mfa_secret == secret


def test_a_folder_is_not_a_directory_file(tmp_path: Path):
    with pytest.raises(DirectoryError, match="is a folder, not a directory file") as info:
        load_directory(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_a_directory_file_that_is_not_utf8_is_named(tmp_path: Path):
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[[pacer]]\nusername = "a1234567"\npassword = "p"\nname = "José"\n'.encode("latin-1"))
    with pytest.raises(DirectoryError, match=r"latin1\.toml: is not UTF-8 text .*; save it as UTF-8"):
        load_directory(latin1)


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


def _serve(ready: Path) -> subprocess.Popen[str]:
    """``pacer-link sandbox`` in a process of its own, on a free port named in ``ready``."""
    return subprocess.Popen(
        [sys.executable, "-m", "batch.sandbox", "--port", "0", "--ready-file", str(ready)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=REPO,
    )


def test_sandbox_command_starts_fast_serves_and_stops_on_ctrl_c(tmp_path: Path):
    ready = tmp_path / "url"
    start = time.monotonic()
    proc = _serve(ready)
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


def _serve_until_exit(folder: Path, ready: str) -> subprocess.CompletedProcess[str]:
    """``pacer-link sandbox --ready-file READY`` run from ``folder``, expected to stop by itself."""
    return subprocess.run(
        [sys.executable, "-m", "batch.sandbox", "--port", "0", "--ready-file", ready],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=folder,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("nodir/url", "folder nodir does not exist"),
        ("out", "is a folder"),
    ],
)
def test_sandbox_command_checks_the_ready_file_before_serving(tmp_path: Path, where: str, message: str):
    (tmp_path / "out").mkdir()
    proc = _serve_until_exit(tmp_path, where)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"pacer-link sandbox: --ready-file {where}: {message}")
    assert "Traceback" not in proc.stderr and "listening" not in proc.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no stray out.tmp
    assert list((tmp_path / "out").iterdir()) == []


def test_sandbox_command_stops_when_the_ready_file_cannot_be_written(tmp_path: Path):
    (tmp_path / "url.tmp").mkdir()  # passes the up-front check, fails the write
    proc = _serve_until_exit(tmp_path, "url")
    assert proc.returncode == 2
    assert "--ready-file url: cannot write it" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["url.tmp"]


PARTIAL_POST = (
    b"POST /services/cso-auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100\r\n\r\n{"loginId": '
)


def _wait_until(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_embedded_sandbox_is_silent_when_a_client_hangs_up_mid_body(capfd: pytest.CaptureFixture[str]):
    with SandboxServer(parse_directory({})) as server:
        tasks = server.server.server_state.tasks
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            sock.sendall(PARTIAL_POST)
            _wait_until(lambda: bool(tasks))  # the app is reading the body
        _wait_until(lambda: not tasks)  # ... and has seen the hang-up
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_the_embedded_sandbox_prints_no_traceback_even_for_a_server_error(capfd: pytest.CaptureFixture[str]):
    # A Directory built in code skips parse_directory's checks: this secret makes the login a 500.
    d = parse_directory({})
    d.pacer["u1"] = PacerAccount("u1", "p", "U One", mfa_secret="JBSWY3DP")
    with SandboxServer(d) as server:
        answer = httpx.post(f"{server.url}/services/cso-auth", json={"loginId": "u1", "password": "p"})
        _wait_until(lambda: not server.server.server_state.tasks)  # uvicorn logs after answering
    assert answer.status_code == 500
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_sandbox_command_prints_no_traceback_when_a_client_hangs_up_mid_body(tmp_path: Path):
    ready = tmp_path / "url"
    proc = _serve(ready)
    try:
        _wait_until(ready.exists)
        url = httpx.URL(ready.read_text())
        with socket.create_connection((url.host, url.port), timeout=5) as sock:
            sock.sendall(PARTIAL_POST)
            time.sleep(0.2)  # let the app start reading the body
        time.sleep(0.2)  # ... and see the hang-up; uvicorn also finishes its tasks before stopping
        assert httpx.get(f"{url}/_sandbox/counters").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Exception in ASGI" not in err
