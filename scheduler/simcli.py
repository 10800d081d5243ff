"""The ``computenet simulate`` command: replay the openb GPU trace through every packing policy.

``register(app)`` adds the command to the ``computenet`` typer app; the command reads the
trace CSVs, runs (policy, seed) pairs in worker processes behind a rich progress bar,
prints a rich table, and writes one CSV per run, a summary CSV and a PNG plot.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["register", "simulate"]


class SimMode(StrEnum):
    """Replay mode."""

    saturate = "saturate"
    timeline = "timeline"


def _parse_seeds(text: str) -> list[int]:
    """``42..51`` (inclusive), ``1,2,5`` or ``7``."""
    text = text.strip()
    m = re.fullmatch(r"(-?\d+)\s*\.\.\s*(-?\d+)", text)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if hi < lo:
            raise typer.BadParameter(f"empty seed range {text!r}", param_hint="--seeds")
        return list(range(lo, hi + 1))
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"expected A..B or a comma list of integers, got {text!r}", param_hint="--seeds"
        ) from None
    if not seeds:
        raise typer.BadParameter("no seeds given", param_hint="--seeds")
    return seeds


def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x != x else f"{x:.{digits}f}"  # NaN check without importing math


def simulate(
    nodes: Annotated[
        Path, typer.Option("--nodes", help="Node list CSV (sn,cpu_milli,memory_mib,gpu,model).")
    ],
    pods: Annotated[Path, typer.Option("--pods", help="Pod list CSV (openb_pod_list_*.csv).")],
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", help="Packing policy; repeat for several (default: all)."),
    ] = None,
    seeds: Annotated[str, typer.Option(help="Seeds: A..B, or a comma list.")] = "42..51",
    mode: Annotated[SimMode, typer.Option(help="saturate or timeline.")] = SimMode.saturate,
    out: Annotated[Path, typer.Option(help="Directory for the CSVs and the PNG.")] = Path(
        "simulation"
    ),
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: CPU count).")
    ] = None,
) -> None:
    """Replay the Alibaba openb GPU trace through the placement policies and compare them."""
    from scheduler.optimizer.packing import POLICIES
    from scheduler.simulate import (
        RunResult,
        TraceFormatError,
        plot_results,
        read_nodes,
        read_pods,
        run_many,
        summarize,
        write_run_csv,
        write_summary_csv,
    )

    policies = list(policy) if policy else list(POLICIES)
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise typer.BadParameter(
            f"unknown policy {', '.join(unknown)}; choose from {', '.join(POLICIES)}",
            param_hint="--policy",
        )
    seed_list = _parse_seeds(seeds)
    try:
        node_rows = read_nodes(nodes)
    except TraceFormatError as exc:
        raise typer.BadParameter(str(exc), param_hint="--nodes") from None
    try:
        pod_rows = read_pods(pods)
    except TraceFormatError as exc:
        raise typer.BadParameter(str(exc), param_hint="--pods") from None
    n_workers = workers or os.cpu_count() or 1
    runs = len(policies) * (len(seed_list) if mode is SimMode.saturate else 1)
    console = Console()
    console.print(
        f"{len(node_rows)} nodes, {sum(n.gpus for n in node_rows)} GPUs, {len(pod_rows)} pods; "
        f"{runs} run(s) on {min(n_workers, runs)} worker(s)"
    )
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bar = progress.add_task(f"{mode.value} runs", total=runs)

        def done(r: RunResult) -> None:
            progress.update(bar, advance=1, description=f"{r.policy} seed {r.seed}")

        results = run_many(
            node_rows,
            pod_rows,
            policies,
            seed_list,
            mode=mode.value,
            workers=n_workers,
            on_result=done,
        )
    for r in results:
        write_run_csv(r, out)
    summaries = summarize(results)
    write_summary_csv(summaries, out / f"{mode.value}_summary.csv")
    png = plot_results(results, out / f"{mode.value}_allocation.png")

    runs_of = f"{len(seed_list)} seed(s)" if mode is SimMode.saturate else f"seed {seed_list[0]}"
    table = Table(title=f"openb {mode.value}, {runs_of}")
    table.add_column("policy")
    table.add_column("runs", justify="right")
    if mode is SimMode.saturate:
        table.add_column("unallocated @100% arrived", justify="right")
        table.add_column("allocated @130% arrived", justify="right")
    else:
        table.add_column("mean util %", justify="right")
        table.add_column("pending mean / p95 s", justify="right")
        table.add_column("energy kWh", justify="right")
    table.add_column("s/run", justify="right")
    for s in summaries:
        if mode is SimMode.saturate:
            cells = [
                f"{_fmt(s.unallocated_at_100)} ± {_fmt(s.unallocated_at_100_std)} %",
                f"{_fmt(s.allocated_at_130)} ± {_fmt(s.allocated_at_130_std)} %",
            ]
        else:
            cells = [
                _fmt(s.mean_utilization, 3),
                f"{_fmt(s.mean_pending_s, 0)} / {_fmt(s.p95_pending_s, 0)}",
                _fmt(s.energy_kwh, 0),
            ]
        table.add_row(s.policy, str(s.runs), *cells, _fmt(s.seconds, 1))
    console.print(table)
    console.print(f"wrote {len(results)} run CSV(s), the summary and {png} to {out}/")


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the ``computenet`` command."""
    app.command("simulate", rich_help_panel="Server")(simulate)
