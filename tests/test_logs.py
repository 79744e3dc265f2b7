"""The log: JSON lines, secrets scrubbed, tracebacks without local variables."""

from __future__ import annotations

import json
from pathlib import Path

from batch import logs
from batch.accounts import Secret


def test_secrets_in_scope_and_token_shapes_are_scrubbed(tmp_path: Path):
    path = tmp_path / "x.log.jsonl"
    token = "A1b2" * 32  # 128 characters, like nextGenCSO
    with logs.open_private(path) as f:
        logs.configure(f)
        with logs.secret_scope(["CANARY-pw-1234567"]):
            logs.log.info(
                "row_finished",
                detail="server echoed CANARY-pw-1234567",
                cookie=f"NextGenCSO={token}",
            )
            try:
                password = "CANARY-pw-1234567"  # a local that must not be rendered
                raise ValueError(f"bad {password}")
            except ValueError:
                logs.log.exception("row_failed")
        logs.log.info("other", secret=Secret("CANARY-pw-7654321"))
        logs.configure(None)
    text = path.read_text()
    assert "CANARY-pw" not in text and token not in text
    events = [json.loads(line) for line in text.splitlines()]
    assert events[0]["event"] == "row_finished" and "********" in events[0]["detail"]
    assert "exception" in events[1]
    assert path.stat().st_mode & 0o777 == 0o600


def test_sha256_is_not_mistaken_for_a_token():
    digest = "ab" * 32
    assert logs.scrub(f"input sha256 {digest}") == f"input sha256 {digest}"


def test_a_long_file_path_is_not_mistaken_for_a_token():
    path = "/home/it/Documents/Clients_2026/PACER-linking/batch-files/november/attorney-linking/final"
    path += "/attorneys.xlsx"
    assert len(path) > 100, len(path)
    assert logs.scrub(f"{path}: file not found") == f"{path}: file not found"
    assert logs.scrub("Tok" + "a1B2" * 30) == "********"  # a token-shaped run still is
