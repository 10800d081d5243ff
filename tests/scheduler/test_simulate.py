"""Tests for scheduler.simulate and the ``simulate`` command, on tiny hand-made traces and the
committed openb sample (tests/data), never the full trace."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from scheduler.optimizer.packing import TaskShape
from scheduler.simcli import register
from scheduler.simulate import (
    TraceFormatError,
    TraceNode,
    TracePod,
    plot_results,
    read_nodes,
    read_pods,
    run_many,
    run_saturate,
    run_timeline,
    sample_workload,
    summarize,
    write_run_csv,
)

DATA = Path(__file__).resolve().parents[1] / "data"
NODES_CSV = DATA / "openb_sample_nodes.csv"
PODS_CSV = DATA / "openb_sample_pods.csv"


def one_gpu_node(model: str = "T4") -> tuple[TraceNode, ...]:
    return (TraceNode("n0", 8000, 16384, 1, model),)


def pod(name: str, milli: int, created: int = 0, deleted: int = 100) -> TracePod:
    return TracePod(name, TaskShape(1000, 1024, 1, milli), created, deleted)


class TestReading:
    def test_reads_the_committed_sample(self) -> None:
        """The sample has 20 nodes with 82 GPUs and 45 pods of every kind."""
        nodes, pods = read_nodes(NODES_CSV), read_pods(PODS_CSV)
        assert (len(nodes), sum(n.gpus for n in nodes), len(pods)) == (20, 82, 45)
        kinds = {(p.shape.num_accel, p.shape.shares_accel) for p in pods}
        assert kinds == {(0, False), (1, True), (1, False), (2, False), (4, False), (8, False)}

    def test_errors_name_the_line(self, tmp_path: Path) -> None:
        """A bad value, a missing column and a missing file are reported with where."""
        bad = tmp_path / "nodes.csv"
        bad.write_text("sn,cpu_milli,memory_mib,gpu,model\nx,1,1,1,A\ny,lots,1,1,A\n")
        with pytest.raises(TraceFormatError, match=r"line 3: cpu_milli must be an integer"):
            read_nodes(bad)
        bad.write_text("sn,cpu_milli,gpu,model\nx,1,1,A\n")
        with pytest.raises(TraceFormatError, match=r"line 1: missing column\(s\) memory_mib"):
            read_nodes(bad)
        with pytest.raises(TraceFormatError, match="cannot read"):
            read_pods(tmp_path / "absent.csv")
        pods = tmp_path / "pods.csv"
        pods.write_text(
            PODS_CSV.read_text().splitlines()[0] + "\np,1000,10,2,500,,LS,Running,0,5,0\n"
        )
        with pytest.raises(TraceFormatError, match="line 2: a task with several"):
            read_pods(pods)


class TestSaturate:
    def test_samples_until_the_ratio_is_reached(self) -> None:
        """Ten 1-GPU nodes, 1000-milli tasks: 13 tasks reach 130 %; seeds are reproducible."""
        pods = [pod("a", 1000), pod("b", 1000)]
        order = sample_workload(pods, 10_000, seed=42)
        assert len(order) == 13
        assert np.array_equal(order, sample_workload(pods, 10_000, seed=42))

    def test_whole_gpu_on_one_gpu(self) -> None:
        """One GPU, 1000-milli tasks: the first fits, the second is dropped; 100 % allocated."""
        r = run_saturate(one_gpu_node(), [pod("a", 1000)], "computenet", seed=1)
        assert (r.tasks, r.placed) == (2, 1)
        assert r.unallocated_at_100 == 0.0
        assert r.allocated_at_130 == 100.0

    def test_shares_that_do_not_pair(self) -> None:
        """One GPU, 600-milli shares: 3 tasks reach 130 %, only the first fits, so 40 % stays
        unallocated when 100 % (the second task) has arrived."""
        r = run_saturate(one_gpu_node(), [pod("a", 600)], "bestfit", seed=1)
        assert (r.tasks, r.placed) == (3, 1)
        assert r.unallocated_at_100 == pytest.approx(40.0)
        assert r.allocated_at_130 == pytest.approx(60.0)
        assert r.allocated_pct[50] == pytest.approx(60.0)  # the first task reaches 50 %

    def test_curves_on_the_sample(self) -> None:
        """On the sample, allocation never exceeds arrival or 100 % and never decreases."""
        nodes, pods = read_nodes(NODES_CSV), read_pods(PODS_CSV)
        for policy in ("random", "fgd", "computenet"):
            r = run_saturate(nodes, pods, policy, seed=42)
            y = np.array(r.allocated_pct)
            assert np.all(np.diff(y) >= 0)
            assert y.max() <= 100.0
            assert np.all(y <= np.array(r.x) + 100 * 8000 / r.capacity_milli)  # one task late
            assert r.unallocated_at_100 == pytest.approx(100 - y[100])


class TestTimeline:
    def test_waiting_task_runs_after_the_first_leaves(self) -> None:
        """A holds the GPU over [0, 100); B arrives at 50, waits 50 s, runs [100, 200).
        Energy: 2 tasks x 100 s x 70 W (T4) = 14 kJ."""
        pods = [pod("a", 1000, 0, 100), pod("b", 1000, 50, 150)]
        r = run_timeline(one_gpu_node("T4"), pods, "computenet")
        assert (r.placed, r.never_placed) == (2, 0)
        assert r.mean_pending_s == pytest.approx(25.0)
        assert r.p95_pending_s == pytest.approx(47.5)
        assert r.energy_kwh == pytest.approx(14_000 / 3.6e6)
        assert r.mean_utilization == pytest.approx(100.0)

    def test_small_task_passes_a_blocked_one(self) -> None:
        """A 600 share holds the GPU; a whole-GPU task waits but a later 300 share runs at once."""
        pods = [pod("a", 600, 0, 100), pod("b", 1000, 10, 20), pod("c", 300, 20, 30)]
        r = run_timeline(one_gpu_node(), pods, "bestfit")
        assert r.placed == 3
        assert r.mean_pending_s == pytest.approx((0 + 90 + 0) / 3)


class TestRunMany:
    def test_results_in_policy_seed_order_and_summary(self, tmp_path: Path) -> None:
        """Runs come back per (policy, seed); the summary averages them; CSV and PNG are written."""
        nodes, pods = read_nodes(NODES_CSV), read_pods(PODS_CSV)
        seen: list[str] = []
        results = run_many(
            nodes, pods, ["bestfit", "fgd"], [42, 43], on_result=lambda r: seen.append(r.policy)
        )
        assert [(r.policy, r.seed) for r in results] == [
            ("bestfit", 42),
            ("bestfit", 43),
            ("fgd", 42),
            ("fgd", 43),
        ]
        assert len(seen) == 4
        (bf, _) = summarize(results)
        assert bf.runs == 2
        assert bf.unallocated_at_100 == pytest.approx(
            np.mean([r.unallocated_at_100 for r in results[:2]])
        )
        csv_path = write_run_csv(results[0], tmp_path)
        assert csv_path.read_text().splitlines()[0] == "arrived_pct,allocated_pct"
        png = plot_results(results, tmp_path / "plot.png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_unknown_policy_is_refused(self) -> None:
        """A policy name that is not registered fails before any run."""
        with pytest.raises(ValueError, match="unknown policies"):
            run_many(one_gpu_node(), [pod("a", 1000)], ["fastest"], [1])


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """computenet"""

    register(app)
    return app


class TestCommand:
    def test_writes_csvs_and_plot(self, tmp_path: Path) -> None:
        """Two policies x two seeds in two worker processes: four run CSVs, a summary, a PNG."""
        out = tmp_path / "out"
        result = CliRunner().invoke(
            cli(),
            [
                "simulate",
                "--nodes",
                str(NODES_CSV),
                "--pods",
                str(PODS_CSV),
                "--policy",
                "bestfit",
                "--policy",
                "computenet",
                "--seeds",
                "42..43",
                "--workers",
                "2",
                "--out",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        names = sorted(p.name for p in out.iterdir())
        assert names == [
            "saturate_allocation.png",
            "saturate_bestfit_seed42.csv",
            "saturate_bestfit_seed43.csv",
            "saturate_computenet_seed42.csv",
            "saturate_computenet_seed43.csv",
            "saturate_summary.csv",
        ]
        assert "computenet" in result.output
        assert "unallocated" in result.output

    def test_timeline_mode(self, tmp_path: Path) -> None:
        """Timeline mode runs each policy once and writes its curve."""
        result = CliRunner().invoke(
            cli(),
            [
                "simulate",
                "--nodes",
                str(NODES_CSV),
                "--pods",
                str(PODS_CSV),
                "--policy",
                "fgd",
                "--mode",
                "timeline",
                "--workers",
                "1",
                "--out",
                str(tmp_path),
            ],
        )
        assert result.exit_code == 0, result.output
        assert (tmp_path / "timeline_fgd_seed42.csv").exists()
        assert (tmp_path / "timeline_allocation.png").exists()

    def test_bad_input_is_a_usage_error(self, tmp_path: Path) -> None:
        """A malformed CSV (with its line), an unknown policy and bad seeds exit with code 2."""
        bad = tmp_path / "nodes.csv"
        bad.write_text("sn,cpu_milli,memory_mib,gpu,model\nx,1,1,-2,A\n")
        base = ["simulate", "--pods", str(PODS_CSV), "--out", str(tmp_path)]
        # Wide enough that the error box does not wrap a long temporary path mid-message.
        runner = CliRunner(env={"COLUMNS": "400"})
        r = runner.invoke(cli(), [*base, "--nodes", str(bad)])
        assert r.exit_code == 2
        assert "line 2" in r.output
        r = runner.invoke(cli(), [*base, "--nodes", str(NODES_CSV), "--policy", "fastest"])
        assert r.exit_code == 2
        assert "unknown policy" in r.output
        r = runner.invoke(cli(), [*base, "--nodes", str(NODES_CSV), "--seeds", "9..3"])
        assert r.exit_code == 2
        assert "seed" in r.output
