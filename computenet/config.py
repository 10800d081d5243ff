"""The server's one frozen configuration, read from flags and ``COMPUTENET_*`` variables.

The composition roots (``scheduler.server``, ``computenet.cli``) build a ``Config`` once and
pass it down; nothing else reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

__all__ = ["Config", "default_data_dir", "default_database_url"]

_MIB = 1024 * 1024


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the embedded SQLite database lives: ``$COMPUTENET_DATA_DIR``, else
    ``$XDG_DATA_HOME/computenet``, else ``~/.local/share/computenet``."""
    env = os.environ if env is None else env
    if env.get("COMPUTENET_DATA_DIR"):
        return Path(env["COMPUTENET_DATA_DIR"])
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "computenet"


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    """``$COMPUTENET_DATABASE_URL``, else SQLite in the data directory."""
    env = os.environ if env is None else env
    if env.get("COMPUTENET_DATABASE_URL"):
        return env["COMPUTENET_DATABASE_URL"]
    return f"sqlite:///{default_data_dir(env) / 'computenet.db'}"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the server needs to start; every field has a ``COMPUTENET_<NAME>`` variable."""

    host: str = "127.0.0.1"
    """Address the gRPC server binds to."""
    port: int = 50051
    """gRPC port; 0 picks a free one."""
    database_url: str = field(default_factory=default_database_url)
    """SQLAlchemy URL: SQLite (the embedded default) or PostgreSQL (``postgresql+psycopg://``)."""
    metrics_port: int = 0
    """Port of the Prometheus ``/metrics`` endpoint; 0 turns it off."""
    metrics_host: str = "127.0.0.1"
    """Address the metrics endpoint binds to."""
    demo: bool = False
    """Load the demo compute network at start when the inventory is empty."""
    max_message_bytes: int = 16 * _MIB
    """Largest gRPC message accepted or sent."""
    max_concurrent_rpcs: int = 1000
    """RPCs served at once; more are refused with RESOURCE_EXHAUSTED."""
    grace_seconds: float = 10.0
    """How long in-flight RPCs may finish after SIGTERM."""
    log_level: str = "info"
    """structlog level: debug, info, warning, error."""
    log_json: bool = True
    """JSON log lines (else a console renderer)."""
    default_policy: str = "balanced"
    """Placement policy of jobs that name none."""
    batch_interval_seconds: float = 30.0
    """How often the batch optimizer runs over the pending queue; 0 turns it off."""
    batch_time_limit_seconds: float = 5.0
    """CP-SAT time limit of a batch run."""
    webhook_timeout_seconds: float = 5.0
    """Total deadline of one webhook delivery attempt."""
    webhook_max_attempts: int = 5
    """Attempts per webhook event, the first included (retries on errors, 429 and 5xx)."""
    webhook_backoff_seconds: float = 1.0
    """Delay before the first webhook retry; it doubles per retry, with jitter."""
    webhook_max_backoff_seconds: float = 60.0
    """Cap of one webhook retry delay."""
    webhook_workers: int = 8
    """Webhook deliveries in flight at once."""
    webhook_queue_size: int = 1000
    """Webhook deliveries waiting for a worker; more are dropped (and logged)."""
    migrate: bool = True
    """Run the database migrations at start."""
    auth: bool = False
    """Require a bearer token on every call but health and reflection. Off, every caller is
    an admin: for a single-user development server only (``computenet serve`` turns it on
    unless ``--demo``)."""
    rate_limit_per_second: float = 0.0
    """Calls per second allowed per tenant (or principal) on average; 0 = no limit."""
    rate_limit_burst: float = 100.0
    """Calls a tenant may make at once before the rate limit applies."""
    tls_cert_file: str = ""
    """PEM server certificate; with ``tls_key_file`` the server speaks TLS only."""
    tls_key_file: str = ""
    """PEM private key of the server certificate."""
    tls_client_ca_file: str = ""
    """PEM CA bundle; when set, clients must present a certificate it signed (mTLS)."""
    token_cache_seconds: float = 5.0
    """How long a verified (or refused) token is remembered: a revoked token may still work
    for this long on a server that saw it; 0 asks the database on every call."""
    max_watch_seconds: float = 3600.0
    """Longest life of one WatchJobs stream; the client then watches again."""
    telemetry_simulator: bool = True
    """With ``demo``: simulate the data centers' utility and IT meters from the live load."""
    telemetry_simulator_interval_seconds: float = 60.0
    """Seconds between two simulated readings of a meter."""
    telemetry_simulator_seed: int = 0
    """Seed of the simulator's weather noise (same seed, same readings)."""
    telemetry_simulator_backfill_days: float = 30.0
    """History the simulator fills in at start (15-minute readings), so that the default
    30-day compliance window is measured from the first minute; 0 for none."""
    collector_targets: str = ""
    """YAML file of meter endpoints to scrape (Prometheus or Redfish); empty = no collector."""
    pue_refresh_seconds: float = 60.0
    """How often every data center's trailing 24 h measured PUE is recomputed."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Config:
        """Defaults, then ``COMPUTENET_*`` variables, then explicit overrides (flags)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"COMPUTENET_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _parse(f.name, raw, f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "database_url" not in values:
            values["database_url"] = default_database_url(env)
        return replace(cls(), **values)


def _parse(name: str, raw: str, type_name: object) -> object:
    kind = str(type_name)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
    except ValueError:
        raise ValueError(f"COMPUTENET_{name.upper()}={raw!r} is not a valid {kind}") from None
    return raw
