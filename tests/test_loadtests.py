"""CI smoke of the load test runner and the hot-path benchmark: both run for real, briefly,
against real servers in their own processes on 127.0.0.1."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("locust") is None,
    reason="locust is not installed (the test and load extras install it)",
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


class TestLoadRunner:
    def test_short_run_writes_stats_without_failures(self, tmp_path: Path) -> None:
        """A 5-second run of three users leaves locust's CSV stats with calls and no failure."""
        out = tmp_path / "load"
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "loadtests" / "run.py"),
                "--users",
                "3",
                "--spawn-rate",
                "3",
                "--run-time",
                "5s",
                "--out",
                str(out),
            ],
            env=_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        with (out / "locust_stats.csv").open(newline="") as f:
            rows = {row["Name"]: row for row in csv.DictReader(f)}
        total = rows["Aggregated"]
        assert int(total["Request Count"]) > 0
        assert int(total["Failure Count"]) == 0
        assert int(rows["SubmitJob"]["Request Count"]) > 0
        assert (out / "summary.md").read_text().count("| SubmitJob |") == 1


class TestHotPathBenchmark:
    def test_quick_mode_prints_its_figures(self, tmp_path: Path) -> None:
        """``--quick`` exits 0 and prints the echo, floor, SubmitJob and in-process figures."""
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "bench_hotpath.py"),
                "--quick",
                "--out",
                str(tmp_path),
            ],
            env=_env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        for line in (
            "echo",
            "floor: SubmitJob's messages",
            "SubmitJob gRPC SQLite",
            "Engine._decide",
            "of which explanation",
            "Engine.submit",
        ):
            assert line in done.stdout
        assert "÷ echo" in done.stdout
        results = json.loads((tmp_path / "bench_hotpath.json").read_text())
        remote = [r for r in results if r["label"].startswith(("echo", "floor", "SubmitJob gRPC"))]
        assert {r["label"].split(":")[0] for r in remote} >= {"echo", "floor"}
        # The floor answers with real placements: its responses are jobs placed in this run.
        assert all(r["placed"] > 0 for r in remote if r["label"].startswith("floor"))
        if Path("/proc/self/stat").exists():  # where /proc is missing the figures are NaN
            for r in remote:
                assert r["server_cpu_us"] > 0, r
                assert r["client_cpu_us"] > 0, r
                # The event loop's thread is one of the server's threads.
                assert 0 < r["loop_cpu_us"] <= r["server_cpu_us"], r
