"""Benchmark: is a run as fast as the courts' rate limits allow, and no faster?

``python -m batch.bench`` runs the real ``pacer-link run`` (a child process) against a
sandbox in its own process on loopback, for each scenario, and reports wall time against
the bound the workload forces, per-host rates against their limits (from the sandbox's
own counters), logins per account, CPU seconds per row and the job's peak memory.
Figures go to a table and to ``bench-out/bench.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from batch.bench_sequential import run_sequential
from batch.bench_workload import Workload, make_workload

# Requests one row needs in a court (main page, Utilities, link form, credentials,
# confirm, main page again); appellate courts need no Utilities page. Two per account on
# the login host (login and logout).
COURT_REQUESTS = {"district": 6, "bankruptcy": 6, "appellate": 5}


@dataclass
class Scenario:
    name: str
    rows: int
    courts: int
    latency_ms: int
    rate: float  # per host, requests per second; 0: no limit
    concurrency: int = 64
    per_host_concurrency: int = 8
    sequential: bool = False
    courts_per_account: int = 2


SCENARIOS = {
    "limited": Scenario("limited", rows=500, courts=10, latency_ms=20, rate=25.0),
    "unlimited": Scenario("unlimited", rows=500, courts=10, latency_ms=50, rate=0, sequential=True),
    "overhead": Scenario("overhead", rows=2000, courts=10, latency_ms=0, rate=0),
    "memory": Scenario("memory", rows=10000, courts=10, latency_ms=0, rate=0),
}


@dataclass
class Figures:
    scenario: str
    rows: int
    accounts: int
    courts: int
    latency_ms: int
    rate_limit: float
    wall_s: float
    bound_s: float
    ratio_to_bound: float
    exit_code: int
    cpu_s: float
    cpu_ms_per_row: float
    rows_per_s: float
    peak_rss_mb: float
    logins_per_account: float
    max_rate_per_host: dict[str, int]
    achieved_rate_per_host: dict[str, float]
    responses_429: int
    double_links: int
    outcomes: dict[str, int] = field(default_factory=dict)
    sequential_wall_s: float | None = None
    speedup_vs_sequential: float | None = None


class Sandbox:
    """The sandbox in a process of its own, so its CPU does not count against the job."""

    def __init__(self, directory: Path, workdir: Path) -> None:
        ready = workdir / "sandbox.url"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "batch.sandbox",
                "--directory",
                str(directory),
                "--port",
                "0",
                "--ready-file",
                str(ready),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while not ready.exists() or not ready.read_text().strip():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"sandbox did not start: {self.proc.stderr.read().decode() if self.proc.stderr else ''}"
                )
            time.sleep(0.05)
        self.url = ready.read_text().strip()

    def counters(self) -> dict:
        return httpx.get(f"{self.url}/_sandbox/counters", timeout=10).json()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def bound_seconds(w: Workload, s: Scenario) -> float:
    """The least time the workload can take: the busiest host's requests over its rate,
    or the requests' latency spread over the requests in flight at once."""
    per_host = w.requests_per_host(COURT_REQUESTS)
    bounds = [0.0]
    if s.rate:
        bounds += [n / s.rate for n in per_host.values()]
    in_flight = min(s.concurrency * s.courts_per_account, s.per_host_concurrency * len(per_host))
    bounds.append(sum(per_host.values()) * s.latency_ms / 1000 / max(1, in_flight))
    # Per host, at most per_host_concurrency requests are in flight.
    bounds += [n * s.latency_ms / 1000 / s.per_host_concurrency for n in per_host.values()]
    return max(bounds)


def write_local_config(
    path: Path,
    url: str,
    *,
    name: str,
    concurrency: int,
    per_host_concurrency: int,
    login_rate: float,
    court_rate: float,
    extra: str = "",
) -> Path:
    """A --config file naming environment ``name`` at a sandbox on loopback (also used by tests)."""
    path.write_text(
        f"""[run]
concurrency = {concurrency}
[rate]
per_host_concurrency = {per_host_concurrency}
[environments.{name}]
login_url = "{url}"
court_url = "{url}/ecf/{{court}}"
login_per_second = {login_rate}
court_per_second = {court_rate}
{extra}""",
        encoding="utf-8",
    )
    return path


def _config(path: Path, url: str, s: Scenario) -> Path:
    rate = s.rate or 100000.0
    return write_local_config(
        path,
        url,
        name="bench",
        concurrency=s.concurrency,
        per_host_concurrency=s.per_host_concurrency,
        login_rate=rate,
        court_rate=rate,
    )


def run_scenario(s: Scenario, workdir: Path) -> Figures:
    w = make_workload(
        workdir,
        rows=s.rows,
        courts=s.courts,
        per_account=s.courts_per_account,
        latency_ms=s.latency_ms,
        rate_limit=int(s.rate),
    )
    sandbox = Sandbox(w.directory, workdir)
    try:
        config = _config(workdir / "bench.toml", sandbox.url, s)
        cmd = [
            sys.executable,
            "-m",
            "batch",
            "run",
            str(w.workbook),
            "--env",
            "bench",
            "--config",
            str(config),
            "--yes",
        ]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        counters = sandbox.counters()
    finally:
        sandbox.stop()
    bound = bound_seconds(w, s)
    cpu = usage.ru_utime + usage.ru_stime
    logins = counters.get("logins", {})
    requests = counters.get("requests", {})
    figures = Figures(
        scenario=s.name,
        rows=s.rows,
        accounts=w.accounts,
        courts=s.courts,
        latency_ms=s.latency_ms,
        rate_limit=s.rate,
        wall_s=round(wall, 2),
        bound_s=round(bound, 2),
        ratio_to_bound=round(wall / bound, 3) if bound else 0.0,
        exit_code=proc.returncode,
        cpu_s=round(cpu, 2),
        cpu_ms_per_row=round(cpu * 1000 / s.rows, 2),
        rows_per_s=round(s.rows / wall, 1),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        logins_per_account=round(sum(logins.values()) / max(1, w.accounts), 3),
        max_rate_per_host=dict(sorted(counters.get("max_rate", {}).items())),
        achieved_rate_per_host={h: round(n / wall, 1) for h, n in sorted(requests.items())},
        responses_429=int(counters.get("responses_429", 0)),
        double_links=len(counters.get("double_links", [])),
        outcomes=_outcomes(w.workbook),
    )
    if s.sequential:
        w2 = make_workload(
            workdir / "seq",
            rows=s.rows,
            courts=s.courts,
            per_account=s.courts_per_account,
            latency_ms=s.latency_ms,
            rate_limit=0,
        )
        sandbox = Sandbox(w2.directory, workdir / "seq")
        try:
            figures.sequential_wall_s = round(run_sequential(sandbox.url, w2), 2)
        finally:
            sandbox.stop()
        figures.speedup_vs_sequential = round(figures.sequential_wall_s / wall, 1)
    return figures


def _outcomes(workbook: Path) -> dict[str, int]:
    log = workbook.with_name(f"{workbook.stem}.log.jsonl")
    counts: dict[str, int] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("event") == "row_finished":
            counts[event["outcome"]] = counts.get(event["outcome"], 0) + 1
    return counts


def print_table(all_figures: list[Figures]) -> None:
    cols = [
        ("scenario", "scenario"),
        ("rows", "rows"),
        ("wall_s", "wall s"),
        ("bound_s", "bound s"),
        ("ratio_to_bound", "wall/bound"),
        ("rows_per_s", "rows/s"),
        ("cpu_ms_per_row", "CPU ms/row"),
        ("peak_rss_mb", "peak MB"),
        ("logins_per_account", "logins/acct"),
        ("responses_429", "429s"),
        ("speedup_vs_sequential", "vs sequential"),
    ]
    rows = [[str(getattr(f, k) if getattr(f, k) is not None else "") for k, _ in cols] for f in all_figures]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, (_, h) in enumerate(cols)]
    print(" | ".join(h.ljust(w) for (_, h), w in zip(cols, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    for f in all_figures:
        if f.rate_limit:
            worst = max(f.max_rate_per_host.values(), default=0)
            print(
                f"{f.scenario}: limit {f.rate_limit:g}/s per host; "
                f"highest one-second count on any host {worst}; "
                f"achieved {f.achieved_rate_per_host}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m batch.bench", description=__doc__)
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"any of {', '.join(SCENARIOS)} (default: all)"
    )
    parser.add_argument("--rows", type=int, help="override the scenario's row count")
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    args.scenarios = args.scenarios or list(SCENARIOS)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.scenarios:
        s = SCENARIOS[name]
        if args.rows:
            s.rows = args.rows
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            print(f"running {name}: {s.rows} rows over {s.courts} courts ...", file=sys.stderr, flush=True)
            results.append(run_scenario(s, Path(tmp)))
    print_table(results)
    (args.out / "bench.json").write_text(json.dumps([asdict(f) for f in results], indent=2), encoding="utf-8")
    print(f"figures: {args.out / 'bench.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
