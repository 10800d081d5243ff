"""The instruction-count benchmark: its parsing, and a short real run under callgrind."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_instructions.py"


def _load() -> object:
    # Benchmarks are scripts, not an installed package: load this one from its file.
    spec = importlib.util.spec_from_file_location("bench_instructions", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load()
_shares, collected = bench._shares, bench.collected  # type: ignore[attr-defined]


class TestParts:
    def test_collected_reads_the_last_count(self) -> None:
        log = "==11== Callgrind\n==11== Collected : 12\n==12== Collected : 3456789\n"
        assert collected(log) == 3_456_789

    def test_collected_without_a_count_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="Collected"):
            collected("==11== valgrind: failed to start tool\n")

    @pytest.mark.parametrize(("total", "workers"), [(16, 8), (17, 8), (3, 8), (0, 2)])
    def test_shares_add_up_and_differ_by_at_most_one(self, total: int, workers: int) -> None:
        shares = _shares(total, workers)
        assert len(shares) == workers
        assert sum(shares) == total
        assert max(shares) - min(shares) <= 1


@pytest.mark.skipif(
    shutil.which("valgrind") is None or shutil.which("callgrind_control") is None,
    reason="valgrind is not installed (Debian: apt install valgrind); the benchmark needs it",
)
def test_short_run_counts_echo_and_decide(tmp_path: Path) -> None:
    """16 echoes and 16 decisions on the demo network, each counted under callgrind."""
    out = tmp_path / "instructions.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--calls",
            "16",
            "--warmup",
            "8",
            "--only",
            "echo,decide-demo",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())
    per_call = figures["instructions_per_call"]
    assert set(per_call) == {"echo", "decide-demo"}
    # A grpc.aio round trip and a placement with its explanation each run somewhere between
    # tens of thousands and tens of millions of instructions; outside that, nothing was
    # counted or the counting window leaked into start-up.
    for mode, count in per_call.items():
        assert 20_000 < count < 50_000_000, (mode, count)
    assert "x echo" in done.stdout
    assert "decide-demo" in done.stdout


def test_bad_mode_is_refused_before_anything_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--only", "nope"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown nope" in done.stderr
