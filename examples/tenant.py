"""A tenant's round trip with the computenet SDK: quote a training job, submit it, watch it,
print where it runs and why, then cancel it.

    python examples/tenant.py --address 127.0.0.1:50051 [--token cn_…] [--tenant acme]

Against ``computenet serve --demo`` no token is needed; a server with authentication needs a
tenant token for ``--tenant`` (``computenet admin token create --role tenant --tenant acme``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import timedelta

from clients import (
    DEFAULT_ADDRESS,
    ApiError,
    Client,
    Explanation,
    Job,
    JobKind,
    JobSpec,
    JobState,
    Placement,
    Quote,
    ReplicaSpec,
)

__all__ = ["main", "parse_args"]

WATCH_SECONDS = 30.0
"""How long to wait for the job's events before giving up."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; every option also has a ``COMPUTENET_*`` variable."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--address",
        default=os.environ.get("COMPUTENET_ADDRESS", DEFAULT_ADDRESS),
        help="server host:port [COMPUTENET_ADDRESS]",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("COMPUTENET_TOKEN"),
        help="bearer token, for a server with authentication [COMPUTENET_TOKEN]",
    )
    parser.add_argument(
        "--tenant",
        default=os.environ.get("COMPUTENET_TENANT", "acme"),
        help="your tenant (the token's) [COMPUTENET_TENANT]",
    )
    parser.add_argument(
        "--policy", default="balanced", help="placement policy: balanced, green, latency, cost"
    )
    return parser.parse_args(argv)


def training_job(policy: str) -> JobSpec:
    """Two replicas of eight accelerators for six hours: a small fine-tuning run."""
    return JobSpec(
        kind=JobKind.TRAINING,
        replicas=2,
        replica=ReplicaSpec(accelerator_count=8, cpu_milli=64000, memory_mib=524288),
        expected_duration=timedelta(hours=6),
        policy=policy,
        labels={"example": "tenant"},
    )


def show_placement(placement: Placement | None) -> None:
    """Where the work lands and what it costs."""
    if placement is None:
        return
    print(f"  data center        {placement.data_center}")
    print(f"  accelerator model  {placement.accelerator_model}")
    for allocation in placement.allocations:
        slots = ",".join(str(i) for i in allocation.accelerator_indices)
        print(f"  replica on         {allocation.node} (accelerators {slots})")
    if placement.energy is not None:
        e = placement.energy
        print(
            f"  energy             {e.energy_kwh:.1f} kWh, {e.cost_cny:.2f} CNY, "
            f"{e.carbon_kg:.1f} kg CO2 at PUE {e.pue:.2f} ({e.pue_basis.name.lower()})"
        )


def show_explanation(explanation: Explanation | None) -> None:
    """Why it lands there (or why it waits)."""
    if explanation is None:
        return
    print(f"  why                {explanation.summary}")
    for term in explanation.terms:
        print(
            f"    {term.name:12} {term.value:10.3f} {term.unit:20} "
            f"weight {term.weight:.2f} -> {term.contribution:.3f}"
        )
    for constraint in explanation.binding_constraints:
        print(f"  binding            {constraint}")
    if explanation.runner_up:
        print(f"  runner-up          {explanation.runner_up}: {explanation.runner_up_reason}")
    if explanation.pending_reason:
        print(f"  waiting because    {explanation.pending_reason}")


def show_quote(quote: Quote) -> None:
    """A quote in one line: placeable now or not, where, and at what cost."""
    where = quote.placement.data_center if quote.placement else "nowhere yet"
    energy = quote.placement.energy if quote.placement else None
    cost = f", {energy.cost_cny:.2f} CNY, {energy.carbon_kg:.1f} kg CO2" if energy else ""
    start = quote.predicted_start_time
    when = f"{start:%Y-%m-%d %H:%M}Z" if start else "unknown"
    print(f"quote: placeable now {quote.placeable}: {where}{cost}, start {when}")
    if not quote.placeable and quote.explanation is not None:
        print(f"  waiting because    {quote.explanation.pending_reason}")


def watch_and_cancel(client: Client, job: Job) -> JobState:
    """Watch the tenant's jobs until ``job`` shows up placed (or pending), print it, cancel
    it, and wait for the watch to report the cancellation. Returns the last state seen."""
    last = job.state
    events = client.watch_jobs(send_initial=True, timeout=WATCH_SECONDS)
    try:
        for event in events:
            if event.job.name != job.name:
                continue
            last = event.job.state
            how = "snapshot" if event.initial else f"{event.previous_state.name} ->"
            print(f"watch: {job.name} {how} {last.name}")
            if last in (JobState.SCHEDULED, JobState.PENDING, JobState.RUNNING):
                print("placement:")
                show_placement(event.job.placement)
                show_explanation(event.job.explanation)
                cancelled = client.cancel_job(job.name, reason="examples/tenant.py is done")
                print(f"cancel: {cancelled.name} is {cancelled.state.name}")
            elif last.terminal:
                return last
    finally:
        events.close()
    return last


def main(argv: Sequence[str] | None = None) -> int:
    """Quote, submit, watch, explain, cancel; 0 when the job ends cancelled."""
    args = parse_args(argv)
    spec = training_job(args.policy)
    try:
        with Client(args.address, token=args.token, tenant=args.tenant) as client:
            show_quote(client.quote_job(spec))
            job = client.submit_job(spec)
            print(f"submitted: {job.name} is {job.state.name}")
            final = watch_and_cancel(client, job)
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"done: the job ended {final.name}")
    return 0 if final is JobState.CANCELLED else 1


if __name__ == "__main__":
    sys.exit(main())
