"""The client commands of ``computenet`` (typer + rich): inventory, jobs, quotas, policies,
webhooks, utilization, PUE and telemetry, for tenants and operators.

``app`` holds every command here; ``computenet.cli`` adds the server's own (``serve``, …).
Results print as rich tables, or as JSON with ``--output json``. A failed call prints its code,
message and field violations in red on stderr and exits 1; bad usage exits 2; an unreachable
server says which address failed and how to start one.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import enum
import inspect
import json
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
import yaml
from rich import box
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from clients import types as t
from clients.client import (
    DEFAULT_ADDRESS,
    DEFAULT_TENANT,
    DEFAULT_TIMEOUT,
    DEFAULT_UPLOAD_TIMEOUT,
    Client,
)
from clients.errors import ApiError, DeadlineExceededError, UnavailableError

__all__ = ["Settings", "app", "jsonable", "parse_duration", "parse_time"]

D = TypeVar("D")

app = typer.Typer(
    name="computenet",
    help="Inventory, PUE telemetry and AI job placement across a national compute network.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
inventory_app = typer.Typer(help="Data centers, regions, pools, nodes, racks, links, models.")
inv_list_app = typer.Typer(help="List inventory resources.", no_args_is_help=True)
inv_get_app = typer.Typer(help="Show one inventory resource.", no_args_is_help=True)
inv_create_app = typer.Typer(help="Create an inventory resource from flags or a YAML file.")
inv_delete_app = typer.Typer(help="Delete an inventory resource.", no_args_is_help=True)
jobs_app = typer.Typer(help="Submit, quote, watch and cancel jobs.", no_args_is_help=True)
quota_app = typer.Typer(help="Tenant accelerator quotas.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhooks that receive job events.", no_args_is_help=True)
pue_app = typer.Typer(help="PUE of data centers and compliance with targets.")
telemetry_app = typer.Typer(help="Meters and meter readings.", no_args_is_help=True)

for _sub, _name in (
    (inventory_app, "inventory"),
    (jobs_app, "jobs"),
    (quota_app, "quota"),
    (webhooks_app, "webhooks"),
    (pue_app, "pue"),
    (telemetry_app, "telemetry"),
):
    app.add_typer(_sub, name=_name, no_args_is_help=True)
inventory_app.add_typer(inv_list_app, name="list")
inventory_app.add_typer(inv_get_app, name="get")
inventory_app.add_typer(inv_create_app, name="create", no_args_is_help=True)
inventory_app.add_typer(inv_delete_app, name="delete")

Output = Literal["table", "json"]
GroupBy = Literal["data-center", "pool", "model", "tenant"]

_START_HINT = (
    "Start one with `computenet serve --demo`, or point --address (COMPUTENET_ADDRESS) at a"
    " running server."
)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class Settings:
    """The global options, resolved from flags and ``COMPUTENET_*`` variables."""

    address: str = DEFAULT_ADDRESS
    """Server address, host:port."""
    token: str | None = None
    """Bearer token."""
    tenant: str = DEFAULT_TENANT
    """Tenant of job, quota and webhook names given as bare ids."""
    output: Output = "table"
    """table or json."""
    timeout: float = DEFAULT_TIMEOUT
    """Deadline of each call, seconds."""
    tls: bool = False
    """Use TLS (with the system roots unless ca_file is given)."""
    ca_file: Path | None = None
    """PEM root certificates."""
    cert_file: Path | None = None
    """PEM client certificate chain (mTLS)."""
    key_file: Path | None = None
    """PEM client private key (mTLS)."""

    def client(self) -> Client:
        """A client with these settings."""

        def read(path: Path | None, what: str) -> bytes | None:
            if path is None:
                return None
            try:
                return path.read_bytes()
            except OSError as exc:
                raise typer.BadParameter(f"cannot read the {what} {path}: {exc.strerror}") from None

        if (self.cert_file is None) != (self.key_file is None):
            raise typer.BadParameter("mTLS needs both --cert-file and --key-file")
        return Client(
            self.address,
            token=self.token,
            tenant=self.tenant,
            timeout=self.timeout,
            tls=self.tls,
            root_certificates=read(self.ca_file, "CA file"),
            certificate_chain=read(self.cert_file, "certificate file"),
            private_key=read(self.key_file, "key file"),
        )


@app.callback()
def _main(
    ctx: typer.Context,
    address: Annotated[
        str, typer.Option(envvar="COMPUTENET_ADDRESS", help="Server address, host:port.")
    ] = DEFAULT_ADDRESS,
    token: Annotated[
        str | None,
        typer.Option(envvar="COMPUTENET_TOKEN", help="Bearer token.", show_default=False),
    ] = None,
    tenant: Annotated[
        str,
        typer.Option(envvar="COMPUTENET_TENANT", help="Tenant of jobs, quotas and webhooks."),
    ] = DEFAULT_TENANT,
    output: Annotated[
        Output, typer.Option(envvar="COMPUTENET_OUTPUT", help="Print tables or JSON.")
    ] = "table",
    timeout: Annotated[
        float,
        typer.Option(
            envvar="COMPUTENET_TIMEOUT", min=0.001, help="Deadline of each call, seconds."
        ),
    ] = DEFAULT_TIMEOUT,
    tls: Annotated[bool, typer.Option("--tls", help="Use TLS.")] = False,
    ca_file: Annotated[
        Path | None,
        typer.Option(envvar="COMPUTENET_CA_FILE", help="PEM root certificates (implies TLS)."),
    ] = None,
    cert_file: Annotated[
        Path | None,
        typer.Option(envvar="COMPUTENET_CERT_FILE", help="PEM client certificate (mTLS)."),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(envvar="COMPUTENET_KEY_FILE", help="PEM client private key (mTLS)."),
    ] = None,
) -> None:
    """Talk to a computenet server: inventory, jobs, quotas, PUE and telemetry."""
    ctx.obj = Settings(address, token, tenant, output, timeout, tls, ca_file, cert_file, key_file)


def _settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, Settings) else ctx.obj
    return obj if isinstance(obj, Settings) else Settings()


# --------------------------------------------------------------------------- errors


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(message: str, lines: Iterable[str] = (), code: int = 1) -> NoReturn:
    err = _stderr()
    err.print(f"error: {message}", style="bold red", markup=False)
    for line in lines:
        err.print(f"  {line}", style="red", markup=False)
    raise typer.Exit(code)


def _fail_api(exc: ApiError, settings: Settings) -> NoReturn:
    if isinstance(exc, UnavailableError) and not exc.has_details:
        _fail(
            f"cannot reach the computenet server at {settings.address} ({exc}).",
            [_START_HINT],
        )
    if isinstance(exc, DeadlineExceededError) and not exc.has_details:
        _fail(
            f"no answer from {settings.address} within {settings.timeout:g} s "
            "(raise it with --timeout).",
        )
    lines = [f"{v.field}: {v.description}" for v in exc.field_violations]
    lines += [f"{v.subject}: {v.description}" for v in exc.quota_violations]
    reason = f" [{exc.reason}]" if exc.reason and exc.reason != exc.code.name else ""
    _fail(f"{exc.code.name}: {exc.message}{reason}", lines)


@contextmanager
def _session(
    ctx: typer.Context, cause: Callable[[], str | None] = lambda: None
) -> Iterator[Client]:
    """A client for one command; API errors become red messages and exit 1. ``cause`` may
    name a local failure that made the call fail (a bad line of an uploaded file)."""
    settings = _settings(ctx)
    try:
        client = settings.client()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        with client:
            yield client
    except ApiError as exc:
        local = cause()
        if local:
            _fail(local)
        _fail_api(exc, settings)
    except ValueError as exc:  # a name or value the client refused before sending
        _fail(str(exc), code=2)


# --------------------------------------------------------------------------- output


def jsonable(value: Any) -> Any:
    """A JSON-ready form of a result: dataclasses as objects, enums by name, times in ISO
    8601, durations and non-finite numbers as protobuf JSON does (``"90s"``, ``"Infinity"``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}s"
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no infinity; proto3's JSON mapping spells them as strings
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
        return f"{value:,.1f}" if abs(value) >= 1e4 else f"{value:.4g}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, timedelta):
        return _fmt_duration(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, tuple | list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _fmt_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s"]
    return "".join(p for p in parts if p and (p != "0s" or seconds == 0)) or "0s"


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


# Columns of list tables, as dotted paths into each type.
_COLUMNS: dict[type[Any], tuple[str, ...]] = {
    t.AcceleratorModel: (
        "name",
        "display_name",
        "vendor",
        "memory_gib",
        "fp16_tflops",
        "board_power_w",
    ),
    t.Region: ("name", "display_name", "province", "hub", "hub_class"),
    t.DataCenter: (
        "name",
        "province",
        "design_pue",
        "pue_target",
        "state",
        "node_count",
        "accelerator_count",
        "fp16_pflops",
    ),
    t.Rack: ("name", "room", "u_height", "power_capacity_kw", "cooling_kw"),
    t.Pool: (
        "name",
        "accelerator_model",
        "accelerators_per_node",
        "cpu_milli_per_node",
        "memory_mib_per_node",
        "node_count",
    ),
    t.Node: ("name", "pool", "rack", "accelerator_model", "accelerator_count", "state"),
    t.Link: ("name", "region", "data_center", "rtt_ms", "source"),
    t.Job: (
        "name",
        "state",
        "spec.kind",
        "spec.replicas",
        "placement.data_center",
        "placement.accelerator_model",
        "create_time",
    ),
    t.Policy: (
        "name",
        "latency_weight",
        "energy_cost_weight",
        "carbon_weight",
        "utilization_weight",
        "description",
    ),
    t.QuotaLimit: ("accelerator_model", "limit", "used"),
    t.TenantQuota: ("name", "limits"),
    t.Webhook: ("name", "url", "states", "create_time"),
    t.WebhookDelivery: (
        "attempt_time",
        "job",
        "state",
        "attempt",
        "http_status",
        "delivered",
        "error",
    ),
    t.Meter: ("name", "metering_point", "description"),
    t.UtilizationRow: (
        "key",
        "allocated_accelerators",
        "total_accelerators",
        "utilization",
        "allocated_pflops",
        "total_pflops",
        "energy_kwh",
        "cost_cny",
        "carbon_kg",
        "running_jobs",
    ),
    t.ComplianceEntry: (
        "data_center",
        "pue",
        "basis",
        "own_target",
        "policy_target",
        "compliant",
        "excess",
        "coverage",
    ),
    t.CityAverage: ("region", "pue", "target", "compliant"),
    t.ScoreTerm: ("name", "value", "unit", "normalized", "weight", "contribution"),
    t.Candidate: (
        "data_center",
        "accelerator_model",
        "score",
        "energy.energy_kwh",
        "energy.cost_cny",
        "energy.carbon_kg",
        "latency.rtt_ms",
        "infeasible_reason",
    ),
}


class _Out:
    """Prints results as the global ``--output`` asks."""

    def __init__(self, settings: Settings) -> None:
        self.json = settings.output == "json"
        self.tenant = settings.tenant
        self.console = Console(highlight=False)
        if not self.console.is_terminal:
            # Piped or captured: rich would assume 80 columns and fold every cell.
            self.console = Console(highlight=False, width=160)

    def raw(self, value: Any) -> None:
        typer.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2, allow_nan=False))

    def items(self, cls: type[Any], items: Sequence[Any], title: str | None = None) -> None:
        if self.json:
            self.raw(list(items))
            return
        self.console.print(_table(cls, items, title, self.tenant))

    def one(self, obj: Any, title: str | None = None) -> None:
        if self.json:
            self.raw(obj)
            return
        self.console.print(_record(obj, title))

    def note(self, text: str) -> None:
        """A human line (suppressed in JSON mode, where only data is printed)."""
        if not self.json:
            self.console.print(text, markup=False)


def _column_type(cls: type[Any], path: str) -> Any:
    """The type of a dotted field path, optionals unwrapped."""
    import types
    import typing

    tp: Any = cls
    for part in path.split("."):
        tp = _hints(tp)[part]
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


_TOP_NAME = re.compile(r"^(?:acceleratorModels|regions|dataCenters|links)/([^/]+)$")
_DC_NAME = re.compile(r"^dataCenters/([^/]+)/(?:racks|pools|nodes|meters)/([^/]+)$")


def _short(text: str, tenant: str) -> str:
    """A resource name as the short form the CLI also accepts: ``fj-ai`` for
    ``dataCenters/fj-ai``, ``fj-ai/r01`` for a rack, a bare id for the tenant's own jobs."""
    if m := _TOP_NAME.match(text):
        return m.group(1)
    if m := _DC_NAME.match(text):
        return f"{m.group(1)}/{m.group(2)}"
    own = f"tenants/{tenant}/"
    if text.startswith(own) and text.count("/") == 3:
        return text.rsplit("/", 1)[-1]
    return text


def _table(
    cls: type[Any], items: Sequence[Any], title: str | None = None, tenant: str = ""
) -> Table:
    """A list as a table; resource names shortened (JSON output keeps them whole)."""
    columns = _COLUMNS.get(cls) or tuple(f.name for f in dataclasses.fields(cls))
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for i, column in enumerate(columns):
        numeric = _column_type(cls, column) in (int, float)
        table.add_column(
            column.rsplit(".", 1)[-1],
            justify="right" if numeric else "left",
            no_wrap=i == 0,  # the key column stays whole; the others wrap
            overflow="fold",
        )
    for item in items:
        cells = (_get(item, c) for c in columns)
        table.add_row(*(_short(v, tenant) if isinstance(v, str) else _fmt(v) for v in cells))
    if not items:
        table.caption = "(none)"
    return table


def _flatten(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield from _flatten(value, f"{prefix}{f.name}.")
        elif (
            isinstance(value, tuple)
            and value
            and dataclasses.is_dataclass(value[0])
            and not isinstance(value[0], type)
        ):
            yield f"{prefix}{f.name}", f"{len(value)} item(s)"
        else:
            yield f"{prefix}{f.name}", value


def _record(obj: Any, title: str | None = None) -> Table:
    table = Table(title=title, box=box.SIMPLE, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in _flatten(obj):
        table.add_row(key, _fmt(value))
    return table


# --------------------------------------------------------------------------- parsing

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")


def parse_duration(text: str) -> timedelta:
    """``90``, ``90s``, ``15m``, ``2h``, ``1h30m`` or ``7d`` as a timedelta."""
    raw = text.strip().lower()
    try:
        return timedelta(seconds=float(raw))
    except ValueError:
        pass
    parts = _DURATION_PART.findall(raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise typer.BadParameter(f"{text!r} is not a duration; use e.g. 90s, 15m, 2h, 1h30m, 7d")
    unit_seconds = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return timedelta(seconds=sum(float(n) * unit_seconds[u] for n, u in parts))


def parse_time(text: str, zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 time (``Z`` allowed) or epoch seconds; a time without a UTC offset takes
    ``zone``, and without a zone it is refused rather than guessed."""
    raw = text.strip()
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        if zone is None:
            raise typer.BadParameter(
                f"{text!r} has no UTC offset; write e.g. {raw}+08:00 or {raw}Z (or pass --timezone)"
            )
        value = value.replace(tzinfo=zone)
    return value


def _enum_choice(cls: type[enum.Enum]) -> list[str]:
    return [m.name.lower().replace("_", "-") for m in cls if m.value != 0]


def _to_enum(cls: type[D], value: Any, where: str) -> D:
    if isinstance(value, cls):
        return value
    key = str(value).strip().upper().replace("-", "_")
    try:
        return cls[key]  # type: ignore[index, no-any-return]
    except KeyError:
        choices = ", ".join(_enum_choice(cls))  # type: ignore[arg-type]
        raise typer.BadParameter(f"{where}: {value!r} is not one of {choices}") from None


def _labels(values: Iterable[str], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{where}: {item!r} is not KEY=VALUE")
        out[key] = value
    return out


def _from_mapping(cls: type[D], data: Mapping[str, Any], where: str) -> D:
    """Build the dataclass ``cls`` from a mapping of its field names (a YAML/JSON file):
    enums by name, times in ISO 8601, durations like ``2h``, nested mappings for nested
    types. Unknown keys are refused so typos do not pass silently."""
    if not isinstance(data, Mapping):
        raise typer.BadParameter(f"{where}: expected a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise typer.BadParameter(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(fields)}"
        )
    hints = _hints(cls)
    values = {name: _coerce(hints[name], raw, f"{where}.{name}") for name, raw in data.items()}
    return cls(**values)


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    import typing

    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _coerce(tp: Any, raw: Any, where: str) -> Any:
    import types
    import typing

    if raw is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _coerce(inner[0], raw, where)
    if origin is tuple:
        items = raw if isinstance(raw, list | tuple) else [raw]
        return tuple(
            _coerce(typing.get_args(tp)[0], x, f"{where}[{i}]") for i, x in enumerate(items)
        )
    if origin in (Mapping, dict) or tp is Mapping:
        if not isinstance(raw, Mapping):
            raise typer.BadParameter(f"{where}: expected a mapping")
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return _to_enum(tp, raw, where)
        if issubclass(tp, datetime):
            return raw if isinstance(raw, datetime) else parse_time(str(raw))
        if issubclass(tp, timedelta):
            return parse_duration(str(raw))
        if dataclasses.is_dataclass(tp):
            return _from_mapping(tp, raw, where)
        if tp is bool:
            if not isinstance(raw, bool):
                raise typer.BadParameter(f"{where}: expected true or false, got {raw!r}")
            return raw
        if tp in (int, float):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise typer.BadParameter(f"{where}: expected a number, got {raw!r}")
            if tp is int and float(raw) != int(raw):
                raise typer.BadParameter(f"{where}: expected an integer, got {raw!r}")
            return tp(raw)
        if tp is str:
            return str(raw)
    raise typer.BadParameter(f"{where}: cannot read {raw!r}")


def _load_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise typer.BadParameter(f"{path} is not valid YAML/JSON: {exc}") from None


# --------------------------------------------------------------------------- generated commands


def _field_docs(cls: type[Any]) -> dict[str, str]:
    """The one-line docstrings under the fields of a dataclass, for option help."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = ast.parse(source).body[0]
    docs: dict[str, str] = {}
    if not isinstance(body, ast.ClassDef):
        return docs
    for prev, node in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(prev, ast.AnnAssign)
            and isinstance(prev.target, ast.Name)
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docs[prev.target.id] = node.value.value.replace("``", "")
    return docs


def _command(
    name: str, doc: str, params: Sequence[inspect.Parameter], impl: Callable[..., None]
) -> Callable[..., None]:
    """A function typer reads as a command with exactly ``params``; it calls ``impl``."""

    def command(**kwargs: Any) -> None:
        impl(**kwargs)

    command.__signature__ = inspect.Signature(list(params))  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = name.replace("-", "_")
    command.__doc__ = doc
    return command


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


_CTX = _param("ctx", typer.Context)


@dataclass(frozen=True, slots=True)
class _Inv:
    """How the CLI names and calls one inventory kind."""

    cli: str
    """Singular in commands, e.g. data-center."""
    plural: str
    """Plural in commands, e.g. data-centers."""
    cls: type[Any]
    """Its dataclass."""
    method: str
    """snake_case stem of the client methods, e.g. data_center."""
    parented: bool
    """Lives inside a data center."""
    filters: str = ""
    """Fields its list filter takes."""
    output_only: tuple[str, ...] = ()
    """Fields the server fills in."""


_KINDS = (
    _Inv(
        "data-center",
        "data-centers",
        t.DataCenter,
        "data_center",
        False,
        "region, province, state",
        ("node_count", "accelerator_count", "fp16_pflops"),
    ),
    _Inv("region", "regions", t.Region, "region", False, "province, hub, hub_class"),
    _Inv(
        "accelerator-model",
        "accelerator-models",
        t.AcceleratorModel,
        "accelerator_model",
        False,
        "vendor",
    ),
    _Inv("rack", "racks", t.Rack, "rack", True, "room"),
    _Inv("pool", "pools", t.Pool, "pool", True, "accelerator_model", ("node_count",)),
    _Inv("node", "nodes", t.Node, "node", True, "pool, rack, accelerator_model, state"),
    _Inv("link", "links", t.Link, "link", False, "region, data_center"),
)

# Reference fields whose bare ids the CLI turns into resource names.
_TOP_REFERENCES = {
    "region": "regions",
    "data_center": "dataCenters",
    "accelerator_model": "acceleratorModels",
}
_DC_REFERENCES = {"pool": "pools", "rack": "racks"}


def _with_names(kind: _Inv, obj: Any, dc: str | None) -> Any:
    """``obj`` with its bare reference ids turned into resource names."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if not isinstance(value, str) or not value or "/" in value:
            continue
        if f.name in _TOP_REFERENCES:
            changes[f.name] = f"{_TOP_REFERENCES[f.name]}/{value}"
        elif f.name in _DC_REFERENCES and kind.parented and dc:
            changes[f.name] = (
                f"dataCenters/{dc.removeprefix('dataCenters/')}/{_DC_REFERENCES[f.name]}/{value}"
            )
    return dataclasses.replace(obj, **changes) if changes else obj


def _register_inventory(kind: _Inv) -> None:
    dc_option = Annotated[
        str | None,
        typer.Option("--data-center", "-d", help="Only this data center (default: all)."),
    ]

    def list_impl(
        ctx: typer.Context, filter: str, limit: int, data_center: str | None = None
    ) -> None:
        with _session(ctx) as client:
            iterate = getattr(client, f"iter_{kind.method}s")
            args = (data_center,) if kind.parented else ()
            items: list[Any] = []
            for item in iterate(*args, filter=filter):
                items.append(item)
                if limit and len(items) >= limit:
                    break
        _Out(_settings(ctx)).items(kind.cls, items)

    list_params = [
        _CTX,
        _param(
            "filter",
            Annotated[
                str,
                typer.Option(help=f'field = "value" AND ... over: {kind.filters}.'),
            ],
            "",
        ),
        _param("limit", Annotated[int, typer.Option(min=0, help="At most this many (0: all).")], 0),
    ]
    if kind.parented:
        list_params.append(_param("data_center", dc_option, None))
    inv_list_app.command(kind.plural)(
        _command(
            f"list-{kind.plural}", f"List {kind.plural.replace('-', ' ')}.", list_params, list_impl
        )
    )

    name_help = "Name (dataCenters/{dc}/...) or {dc}/{id}." if kind.parented else "Name or id."
    name_arg = _param("name", Annotated[str, typer.Argument(help=name_help)])

    def get_impl(ctx: typer.Context, name: str) -> None:
        with _session(ctx) as client:
            obj = getattr(client, f"get_{kind.method}")(name)
        _Out(_settings(ctx)).one(obj)

    inv_get_app.command(kind.cli)(
        _command(
            f"get-{kind.cli}", f"Show a {kind.cli.replace('-', ' ')}.", [name_arg, _CTX], get_impl
        )
    )

    def delete_impl(ctx: typer.Context, name: str) -> None:
        with _session(ctx) as client:
            getattr(client, f"delete_{kind.method}")(name)
        _Out(_settings(ctx)).note(f"deleted {name}")

    inv_delete_app.command(kind.cli)(
        _command(
            f"delete-{kind.cli}",
            f"Delete a {kind.cli.replace('-', ' ')}.",
            [name_arg, _CTX],
            delete_impl,
        )
    )
    _register_create(kind)


def _field_option(name: str, tp: Any, help_text: str) -> inspect.Parameter:
    import typing

    flag = "--" + name.replace("_", "-")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        choices: Any = Literal.__getitem__(tuple(_enum_choice(tp)))
        annotation: Any = Annotated[choices | None, typer.Option(flag, help=help_text)]
    elif typing.get_origin(tp) in (Mapping, dict):
        annotation = Annotated[
            list[str] | None,
            typer.Option("--label", help=f"{help_text} KEY=VALUE, repeatable."),
        ]
    elif tp in (int, float, str):
        annotation = Annotated[tp | None, typer.Option(flag, help=help_text, show_default=False)]
    else:
        raise TypeError(f"no option for {name}: {tp!r}")
    return _param(name, annotation, None)


def _register_create(kind: _Inv) -> None:
    docs = _field_docs(kind.cls)
    hints = _hints(kind.cls)
    fields = [
        f.name
        for f in dataclasses.fields(kind.cls)
        if f.name != "name" and f.name not in kind.output_only
    ]
    params: list[inspect.Parameter] = []
    if kind.parented:
        params.append(
            _param("data_center", Annotated[str, typer.Argument(help="Its data center.")])
        )
    params.append(
        _param(
            "resource_id",
            Annotated[
                str | None,
                typer.Argument(metavar="ID", help="Id of the new resource (or `id` in the file)."),
            ],
            None,
        )
    )
    params += [
        _CTX,
        _param(
            "file",
            Annotated[
                Path | None,
                typer.Option(
                    "--file",
                    "-f",
                    help="YAML/JSON mapping of the fields below; flags override it.",
                ),
            ],
            None,
        ),
    ]
    for name in fields:
        params.append(_field_option(name, hints[name], docs.get(name, name)))
    if kind.cls is t.Pool:
        params.append(
            _param(
                "node_count",
                Annotated[int, typer.Option(min=0, help="Nodes to create with the pool.")],
                0,
            )
        )
        params.append(
            _param(
                "racks",
                Annotated[
                    list[str] | None,
                    typer.Option("--rack", help="Rack to spread the nodes over, repeatable."),
                ],
                None,
            )
        )

    def create_impl(
        ctx: typer.Context,
        resource_id: str | None,
        file: Path | None,
        data_center: str | None = None,
        node_count: int = 0,
        racks: list[str] | None = None,
        **flags: Any,
    ) -> None:
        if not kind.parented and data_center is not None:
            # A link's own data_center field: typer hands it to this parameter by its name.
            flags["data_center"], data_center = data_center, None
        data: dict[str, Any] = {}
        if file is not None:
            loaded = _load_file(file)
            if not isinstance(loaded, Mapping):
                raise typer.BadParameter(f"{file} must hold a mapping of fields")
            data.update(loaded)
        resource_id = resource_id or data.pop("id", None)
        data.pop("id", None)
        if kind.parented:
            data.pop("data_center", None)
        if kind.cls is t.Pool:
            node_count = node_count or int(data.pop("node_count", 0))
            racks = racks or list(data.pop("racks", []) or [])
        if not resource_id:
            raise typer.BadParameter("give the new resource's ID (argument or `id` in the file)")
        for key, value in flags.items():
            if value is None:
                continue
            data[key] = _labels(value, "--label") if key == "labels" else value
        obj = _with_names(
            kind, _from_mapping(kind.cls, data, file.name if file else "flags"), data_center
        )
        with _session(ctx) as client:
            method = getattr(client, f"create_{kind.method}")
            if kind.cls is t.Pool:
                # a bare rack id is in the pool's data center
                rack_names = [r if "/" in r else f"{data_center}/{r}" for r in racks or ()]
                created = method(
                    data_center, resource_id, obj, node_count=node_count, racks=rack_names
                )
            elif kind.parented:
                created = method(data_center, resource_id, obj)
            else:
                created = method(resource_id, obj)
        _Out(_settings(ctx)).one(created, title=f"created {created.name}")

    inv_create_app.command(kind.cli)(
        _command(
            f"create-{kind.cli}",
            f"Create a {kind.cli.replace('-', ' ')} from flags or a YAML/JSON file.",
            params,
            create_impl,
        )
    )


for _kind in _KINDS:
    _register_inventory(_kind)


@inventory_app.command("import")
def inventory_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Inventory file, YAML or JSON.")],
    validate_only: Annotated[
        bool, typer.Option("--validate-only", help="Check everything, change nothing.")
    ] = False,
    format: Annotated[
        Literal["yaml", "json"] | None,
        typer.Option(help="Encoding (default: by suffix, else by content)."),
    ] = None,
) -> None:
    """Import an inventory file in one transaction: all of it or nothing."""
    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a file")
    with _session(ctx) as client:
        result = client.import_inventory(file, format=format, validate_only=validate_only)
    out = _Out(_settings(ctx))
    out.note(
        f"{file.name} is valid; importing it would create:"
        if validate_only
        else f"{file.name} imported; created:"
    )
    out.one(result)


@inventory_app.command("export")
def inventory_export(
    ctx: typer.Context,
    format: Annotated[Literal["yaml", "json"], typer.Option(help="Encoding.")] = "yaml",
    output_file: Annotated[
        Path | None,
        typer.Option("--output-file", "-o", help="Write here instead of stdout."),
    ] = None,
) -> None:
    """Export the whole inventory as a file that `inventory import` accepts."""
    with _session(ctx) as client:
        content = client.export_inventory(format)
    if output_file is None:
        typer.echo(content.decode("utf-8"), nl=False)
        return
    output_file.write_bytes(content)
    _stderr().print(f"wrote {len(content)} bytes to {output_file}", markup=False)


# --------------------------------------------------------------------------- jobs

_SPEC_FLAGS: tuple[tuple[str, Any, Any, str], ...] = (
    ("kind", Literal["training", "inference"] | None, None, "Training or inference."),
    ("replicas", int | None, None, "Replicas of the gang (default 1)."),
    ("accelerators", int | None, None, "Whole accelerators per replica."),
    ("accelerator_milli", int | None, None, "A share of one accelerator, 1..999 milli."),
    ("model", list[str] | None, None, "Acceptable accelerator model, repeatable."),
    ("min_memory_gib", float | None, None, "Minimum accelerator memory, GiB."),
    ("min_tflops", float | None, None, "Minimum accelerator FP16 TFLOPS."),
    ("cpu_milli", int | None, None, "CPU per replica, milli-cores."),
    ("memory_mib", int | None, None, "Memory per replica, MiB."),
    ("duration", str | None, None, "Expected run time, e.g. 2h or 90m."),
    ("deadline", str | None, None, "Finish by (ISO 8601 with offset)."),
    ("priority", int | None, None, "0..1000, higher runs first."),
    ("preemptible", bool | None, None, "May be preempted by higher-priority work."),
    ("user_region", str | None, None, "Inference: region of the users."),
    ("max_rtt_ms", float | None, None, "Inference: max round trip from --user-region, ms."),
    ("data_region", str | None, None, "Region where the data is."),
    ("province", list[str] | None, None, "Residency: allowed province, repeatable."),
    ("allowed_region", list[str] | None, None, "Residency: allowed region, repeatable."),
    ("policy", str | None, None, "balanced, green, latency or cost."),
    ("utilization", float | None, None, "Expected accelerator utilization, 0..1."),
    ("label", list[str] | None, None, "KEY=VALUE label, repeatable."),
)


def _spec_params() -> list[inspect.Parameter]:
    params = [
        _param(
            "file",
            Annotated[
                Path | None,
                typer.Option("--file", "-f", help="Job spec as YAML/JSON; flags override it."),
            ],
            None,
        )
    ]
    for name, tp, default, help_text in _SPEC_FLAGS:
        flag = "--" + name.replace("_", "-")
        if tp == (bool | None):
            option = typer.Option(f"{flag}/--not-{flag[2:]}", help=help_text, show_default=False)
        else:
            option = typer.Option(flag, help=help_text, show_default=False)
        params.append(_param(name, Annotated[tp, option], default))
    return params


def _region(value: str) -> str:
    return value if value.startswith("regions/") else f"regions/{value}"


def _model(value: str) -> str:
    return value if value.startswith("acceleratorModels/") else f"acceleratorModels/{value}"


def _build_spec(file: Path | None, **flags: Any) -> t.JobSpec:
    """A JobSpec from a YAML/JSON file (JobSpec field names, nested ``replica`` and
    ``residency``) overridden by the command's flags."""
    data: dict[str, Any] = {}
    if file is not None:
        loaded = _load_file(file)
        if not isinstance(loaded, Mapping):
            raise typer.BadParameter(f"{file} must hold a mapping of JobSpec fields")
        data = dict(loaded)
    replica = dict(data.pop("replica", None) or {})
    residency = dict(data.pop("residency", None) or {})

    def put(target: dict[str, Any], key: str, value: Any) -> None:
        if value is not None:
            target[key] = value

    put(data, "kind", flags.get("kind"))
    put(data, "replicas", flags.get("replicas"))
    put(replica, "accelerator_count", flags.get("accelerators"))
    put(replica, "accelerator_milli", flags.get("accelerator_milli"))
    put(replica, "accelerator_models", flags.get("model") or None)
    put(replica, "min_accelerator_memory_gib", flags.get("min_memory_gib"))
    put(replica, "min_fp16_tflops", flags.get("min_tflops"))
    put(replica, "cpu_milli", flags.get("cpu_milli"))
    put(replica, "memory_mib", flags.get("memory_mib"))
    put(data, "expected_duration", flags.get("duration"))
    put(data, "deadline", flags.get("deadline"))
    put(data, "priority", flags.get("priority"))
    put(data, "preemptible", flags.get("preemptible"))
    put(data, "user_region", flags.get("user_region"))
    put(data, "max_rtt_ms", flags.get("max_rtt_ms"))
    put(data, "data_region", flags.get("data_region"))
    put(residency, "allowed_provinces", flags.get("province") or None)
    put(residency, "allowed_regions", flags.get("allowed_region") or None)
    put(data, "policy", flags.get("policy"))
    put(data, "expected_utilization", flags.get("utilization"))
    if flags.get("label"):
        data["labels"] = {**(data.get("labels") or {}), **_labels(flags["label"], "--label")}
    data.setdefault("replicas", 1)
    data["replica"] = replica
    data["residency"] = residency
    spec = _from_mapping(t.JobSpec, data, file.name if file else "flags")
    return dataclasses.replace(
        spec,
        user_region=_region(spec.user_region) if spec.user_region else "",
        data_region=_region(spec.data_region) if spec.data_region else "",
        replica=dataclasses.replace(
            spec.replica,
            accelerator_models=tuple(_model(m) for m in spec.replica.accelerator_models),
        ),
        residency=dataclasses.replace(
            spec.residency,
            allowed_regions=tuple(_region(r) for r in spec.residency.allowed_regions),
        ),
    )


def _show_explanation(out: _Out, explanation: t.Explanation | None) -> None:
    if explanation is None:
        return
    console = out.console
    if explanation.summary:
        console.print(explanation.summary, markup=False)
    facts = [
        ("policy", explanation.policy),
        ("decided by", explanation.decided_by),
        ("runner-up", explanation.runner_up),
        ("why it lost", explanation.runner_up_reason),
        ("pending because", explanation.pending_reason),
    ]
    table = Table(box=box.SIMPLE, show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for key, value in facts:
        if value:
            table.add_row(key, value)
    for constraint in explanation.binding_constraints:
        table.add_row("binding", constraint)
    if table.row_count:
        console.print(table)
    if explanation.terms:
        console.print(_table(t.ScoreTerm, explanation.terms, "score terms", out.tenant))
    if explanation.alternatives:
        console.print(_table(t.Candidate, explanation.alternatives, "alternatives", out.tenant))


def _show_job(out: _Out, job: t.Job, title: str | None = None) -> None:
    if out.json:
        out.raw(job)
        return
    placement = job.placement
    energy = placement.energy if placement else None
    rows: list[tuple[str, Any]] = [
        ("name", job.name),
        ("state", job.state),
        ("state message", job.state_message),
        ("kind", job.spec.kind),
        ("replicas", job.spec.replicas),
        ("data center", placement.data_center if placement else None),
        ("accelerator model", placement.accelerator_model if placement else None),
        ("nodes", ", ".join(a.node for a in placement.allocations) if placement else None),
        ("energy kWh", energy.energy_kwh if energy else None),
        ("cost CNY", energy.cost_cny if energy else None),
        ("carbon kg", energy.carbon_kg if energy else None),
        ("PUE", f"{energy.pue:.3g} ({energy.pue_basis.name.lower()})" if energy else None),
        ("rtt ms", placement.latency.rtt_ms if placement and placement.latency else None),
        ("created", job.create_time),
        ("started", job.start_time),
        ("ended", job.end_time),
        ("preemptions", job.preemption_count or None),
    ]
    table = Table(title=title, box=box.SIMPLE, show_header=False, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("")
    for key, value in rows:
        if value not in (None, ""):
            table.add_row(key, _fmt(value))
    out.console.print(table)
    _show_explanation(out, job.explanation)


def _submit_impl(
    ctx: typer.Context,
    job_id: str | None,
    request_id: str | None,
    file: Path | None,
    **flags: Any,
) -> None:
    spec = _build_spec(file, **flags)
    with _session(ctx) as client:
        job = client.submit_job(spec, job_id=job_id, request_id=request_id)
    _show_job(_Out(_settings(ctx)), job, title="submitted")


jobs_app.command("submit")(
    _command(
        "submit",
        "Submit a job from flags or a YAML/JSON spec (-f); prints where it runs and why.",
        [
            _CTX,
            _param("job_id", Annotated[str | None, typer.Option("--id", help="Job id.")], None),
            _param(
                "request_id",
                Annotated[
                    str | None,
                    typer.Option(help="Idempotency key (generated when not given)."),
                ],
                None,
            ),
            *_spec_params(),
        ],
        _submit_impl,
    )
)


def _quote_impl(ctx: typer.Context, file: Path | None, **flags: Any) -> None:
    spec = _build_spec(file, **flags)
    with _session(ctx) as client:
        quote = client.quote_job(spec)
    out = _Out(_settings(ctx))
    if out.json:
        out.raw(quote)
        return
    placement = quote.placement
    energy = placement.energy if placement else None
    table = Table(title="quote", box=box.SIMPLE, show_header=False, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("")
    rows: list[tuple[str, Any]] = [
        ("placeable now", quote.placeable),
        ("data center", placement.data_center if placement else None),
        ("accelerator model", placement.accelerator_model if placement else None),
        ("predicted start", quote.predicted_start_time),
        ("energy kWh", energy.energy_kwh if energy else None),
        ("cost CNY", energy.cost_cny if energy else None),
        ("carbon kg", energy.carbon_kg if energy else None),
        ("rtt ms", placement.latency.rtt_ms if placement and placement.latency else None),
    ]
    for key, value in rows:
        if value not in (None, ""):
            table.add_row(key, _fmt(value))
    out.console.print(table)
    _show_explanation(out, quote.explanation)


jobs_app.command("quote")(
    _command(
        "quote",
        "Where, when and at what kWh, CNY and kg CO2 a job would run; commits nothing.",
        [_CTX, *_spec_params()],
        _quote_impl,
    )
)

# The two calls tenants make most, also at the top level: `computenet submit`, `computenet quote`.
for _name in ("submit", "quote"):
    app.command(_name, rich_help_panel="Jobs")(
        jobs_app.registered_commands[
            [c.name for c in jobs_app.registered_commands].index(_name)
        ].callback  # type: ignore[arg-type]
    )

_STATE_CHOICES = Literal[
    "pending", "scheduled", "running", "succeeded", "failed", "cancelled", "preempted"
]


def _job_filter(filter: str, state: str | None) -> str:
    terms = [filter] if filter else []
    if state:
        terms.append(f'state = "{state.upper()}"')
    return " AND ".join(terms)


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    filter: Annotated[str, typer.Option(help='e.g. kind = "TRAINING".')] = "",
    state: Annotated[_STATE_CHOICES | None, typer.Option(help="Only jobs in this state.")] = None,
    all_tenants: Annotated[
        bool, typer.Option("--all-tenants", help="Operators: every tenant's jobs.")
    ] = False,
    limit: Annotated[int, typer.Option(min=0, help="At most this many (0: all).")] = 0,
) -> None:
    """List jobs, newest first."""
    with _session(ctx) as client:
        items: list[t.Job] = []
        for job in client.iter_jobs(
            parent="-" if all_tenants else None, filter=_job_filter(filter, state)
        ):
            items.append(job)
            if limit and len(items) >= limit:
                break
    _Out(_settings(ctx)).items(t.Job, items)


@jobs_app.command("get")
def jobs_get(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Job name or id.")],
) -> None:
    """Show a job: state, placement, energy and the explanation of where it runs or why it
    waits."""
    with _session(ctx) as client:
        job = client.get_job(name)
    _show_job(_Out(_settings(ctx)), job)


@jobs_app.command("cancel")
def jobs_cancel(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Job name or id.")],
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
) -> None:
    """Cancel a job that has not finished; its capacity is released at once."""
    with _session(ctx) as client:
        job = client.cancel_job(name, reason)
    out = _Out(_settings(ctx))
    if out.json:
        out.raw(job)
    else:
        out.note(f"{job.name} is {job.state.name}")


@jobs_app.command("set-state")
def jobs_set_state(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Job name or id.")],
    state: Annotated[Literal["running", "succeeded", "failed"], typer.Argument(help="New state.")],
    message: Annotated[str, typer.Option(help="Why, for the record.")] = "",
) -> None:
    """Operators: report a job RUNNING, SUCCEEDED or FAILED."""
    with _session(ctx) as client:
        job = client.set_job_state(name, _to_enum(t.JobState, state, "STATE"), message)
    out = _Out(_settings(ctx))
    if out.json:
        out.raw(job)
    else:
        out.note(f"{job.name} is {job.state.name}")


@jobs_app.command("watch")
def jobs_watch(
    ctx: typer.Context,
    filter: Annotated[str, typer.Option(help='e.g. data_center = "dataCenters/x".')] = "",
    state: Annotated[_STATE_CHOICES | None, typer.Option(help="Only jobs in this state.")] = None,
    all_tenants: Annotated[
        bool, typer.Option("--all-tenants", help="Operators: every tenant's jobs.")
    ] = False,
    initial: Annotated[
        bool, typer.Option("--initial/--no-initial", help="Print the unfinished jobs first.")
    ] = True,
    seconds: Annotated[
        float | None, typer.Option("--for", min=0.001, help="Stop after this many seconds.")
    ] = None,
    count: Annotated[int, typer.Option(min=0, help="Stop after this many events (0: never).")] = 0,
) -> None:
    """Print job state changes as they happen (JSON lines with --output json)."""
    out = _Out(_settings(ctx))
    seen = 0
    with _session(ctx) as client:
        events = client.watch_jobs(
            parent="-" if all_tenants else None,
            filter=_job_filter(filter, state),
            send_initial=initial,
            timeout=seconds,
        )
        try:
            for event in events:
                if out.json:
                    typer.echo(json.dumps(jsonable(event), ensure_ascii=False))
                else:
                    job = event.job
                    where = job.placement.data_center if job.placement else ""
                    was = "" if event.initial else f"{event.previous_state.name} → "
                    out.console.print(
                        f"{datetime.now(UTC):%H:%M:%S} {job.name} {was}{job.state.name} {where}",
                        markup=False,
                    )
                seen += 1
                if count and seen >= count:
                    break
        except DeadlineExceededError:
            if seconds is None:
                raise  # --for not given: a deadline here is a real failure


@jobs_app.command("batch-place")
def jobs_batch_place(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan without applying.")] = False,
    time_limit: Annotated[
        float | None, typer.Option(min=0.001, help="Solver time limit, seconds.")
    ] = None,
) -> None:
    """Operators: run the batch optimizer over the pending queue now."""
    with _session(ctx) as client:
        result = client.run_batch_placement(time_limit=time_limit, dry_run=dry_run)
    _Out(_settings(ctx)).one(result, title="batch placement" + (" (dry run)" if dry_run else ""))


# --------------------------------------------------------------------------- quotas, policies


@quota_app.command("get")
def quota_get(
    ctx: typer.Context,
    tenant: Annotated[
        str | None, typer.Argument(help="Tenant (default: --tenant).", show_default=False)
    ] = None,
) -> None:
    """A tenant's accelerator quotas and usage."""
    with _session(ctx) as client:
        quota = client.get_tenant_quota(tenant)
    out = _Out(_settings(ctx))
    if out.json:
        out.raw(quota)
    else:
        out.items(t.QuotaLimit, quota.limits, title=quota.name)


@quota_app.command("set")
def quota_set(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(help="Tenant.")],
    limit: Annotated[
        list[str] | None,
        typer.Option("--limit", help="MODEL=ACCELERATORS (MODEL * for all models), repeatable."),
    ] = None,
) -> None:
    """Operators: replace a tenant's quota limits (no --limit clears them)."""
    limits = []
    for item in limit or []:
        model, sep, value = item.partition("=")
        try:
            amount = float(value)
        except ValueError:
            amount = -1.0
        if not sep or not model or amount < 0:
            raise typer.BadParameter(f"--limit {item!r} is not MODEL=ACCELERATORS")
        limits.append(
            t.QuotaLimit(accelerator_model=model if model == "*" else _model(model), limit=amount)
        )
    with _session(ctx) as client:
        name = client.names.quota(tenant)
        quota = client.set_tenant_quota(t.TenantQuota(name=name, limits=tuple(limits)))
    out = _Out(_settings(ctx))
    if out.json:
        out.raw(quota)
    else:
        out.items(t.QuotaLimit, quota.limits, title=quota.name)


@quota_app.command("list")
def quota_list(ctx: typer.Context) -> None:
    """Operators: every tenant's quotas."""
    with _session(ctx) as client:
        quotas = list(client.iter_tenant_quotas())
    _Out(_settings(ctx)).items(t.TenantQuota, quotas)


@app.command("policies")
def policies(ctx: typer.Context) -> None:
    """The placement policies and their weights."""
    with _session(ctx) as client:
        result = client.list_policies()
    out = _Out(_settings(ctx))
    if out.json:
        out.raw(result)
    else:
        out.items(t.Policy, result.policies, title=f"default: {result.default_policy}")


# --------------------------------------------------------------------------- webhooks


@webhooks_app.command("create")
def webhooks_create(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="http(s) URL to POST job events to.")],
    webhook_id: Annotated[str, typer.Option("--id", help="Webhook id.")] = "",
    state: Annotated[
        list[str] | None,
        typer.Option(
            help="Job state that triggers a delivery (e.g. succeeded), repeatable; default all."
        ),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            envvar="COMPUTENET_WEBHOOK_SECRET",
            help="HMAC-SHA256 signing secret the server signs deliveries with.",
        ),
    ] = None,
) -> None:
    """Register a webhook for this tenant's job events."""
    webhook = t.Webhook(
        url=url,
        states=tuple(_to_enum(t.JobState, s, "--state") for s in state or ()),
        secret=secret or "",
    )
    with _session(ctx) as client:
        created = client.create_webhook(webhook_id, webhook)
    _Out(_settings(ctx)).one(created, title="created")


@webhooks_app.command("list")
def webhooks_list(ctx: typer.Context) -> None:
    """This tenant's webhooks."""
    with _session(ctx) as client:
        items = list(client.iter_webhooks())
    _Out(_settings(ctx)).items(t.Webhook, items)


@webhooks_app.command("delete")
def webhooks_delete(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Webhook name or id.")]
) -> None:
    """Delete a webhook."""
    with _session(ctx) as client:
        client.delete_webhook(name)
    _Out(_settings(ctx)).note(f"deleted {name}")


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Webhook name or id.")],
    limit: Annotated[int, typer.Option(min=0, help="At most this many (0: all).")] = 20,
) -> None:
    """Recent deliveries of a webhook, newest first."""
    with _session(ctx) as client:
        items: list[t.WebhookDelivery] = []
        for delivery in client.iter_webhook_deliveries(name):
            items.append(delivery)
            if limit and len(items) >= limit:
                break
    _Out(_settings(ctx)).items(t.WebhookDelivery, items)


# --------------------------------------------------------------------------- utilization, PUE

_GROUP_BY = {
    "data-center": t.UtilizationGroupBy.DATA_CENTER,
    "pool": t.UtilizationGroupBy.POOL,
    "model": t.UtilizationGroupBy.ACCELERATOR_MODEL,
    "tenant": t.UtilizationGroupBy.TENANT,
}


@app.command("util")
def util(
    ctx: typer.Context,
    by: Annotated[GroupBy, typer.Option(help="How to group.")] = "data-center",
    filter: Annotated[str, typer.Option(help='Data centers only, e.g. province = "Fujian".')] = "",
) -> None:
    """Utilization and compute scale (PFLOPS FP16), by data center, pool, model or tenant."""
    with _session(ctx) as client:
        report = client.get_utilization(group_by=_GROUP_BY[by], filter=filter)
    out = _Out(_settings(ctx))
    if out.json:
        out.raw(report)
        return
    rows = list(report.rows)
    if report.total is not None:
        rows.append(dataclasses.replace(report.total, key="TOTAL"))
    out.items(t.UtilizationRow, rows, title=f"utilization by {by}")
    out.note(f"AI share of FP16 compute: {report.ai_compute_share:.1%}")


def _window(
    window: str | None, start: str | None, end: str | None
) -> tuple[datetime | None, datetime | None]:
    end_time = parse_time(end) if end else None
    start_time = parse_time(start) if start else None
    if window and start_time is None:
        start_time = (end_time or datetime.now(UTC)) - parse_duration(window)
        end_time = end_time or datetime.now(UTC)
    return start_time, end_time


@pue_app.command("get")
def pue_get(
    ctx: typer.Context,
    data_center: Annotated[str, typer.Argument(help="Data center name or id.")],
    window: Annotated[
        str | None, typer.Option(help="Trailing window, e.g. 24h, 7d (default 24h).")
    ] = None,
    start: Annotated[str | None, typer.Option(help="Window start, ISO 8601.")] = None,
    end: Annotated[str | None, typer.Option(help="Window end, ISO 8601 (default now).")] = None,
    annualised: Annotated[
        bool, typer.Option("--annualised", help="The trailing 12 months to the end.")
    ] = False,
    subsystem: Annotated[
        Literal["cooling", "lighting", "other"] | None,
        typer.Option(help="Partial PUE of this subsystem."),
    ] = None,
) -> None:
    """PUE of a data center over a window, with its ISO/IEC 30134-2 category and coverage."""
    start_time, end_time = _window(window, start, end)
    with _session(ctx) as client:
        value = client.get_pue(
            data_center,
            start=start_time,
            end=end_time,
            window_kind=t.PueWindowKind.ANNUALISED if annualised else t.PueWindowKind.UNSPECIFIED,
            subsystem=_to_enum(t.MeteringPoint, subsystem, "--subsystem")
            if subsystem
            else t.MeteringPoint.UNSPECIFIED,
        )
    _Out(_settings(ctx)).one(value, title=f"PUE of {value.data_center or data_center}")


@pue_app.command("report")
def pue_report(
    ctx: typer.Context,
    window: Annotated[str | None, typer.Option(help="Trailing window (default 30d).")] = None,
    start: Annotated[str | None, typer.Option(help="Window start, ISO 8601.")] = None,
    end: Annotated[str | None, typer.Option(help="Window end, ISO 8601.")] = None,
    filter: Annotated[str, typer.Option(help='e.g. province = "Fujian".')] = "",
) -> None:
    """Compliance of every data center (and city average) with the PUE targets."""
    start_time, end_time = _window(window, start, end)
    with _session(ctx) as client:
        report = client.get_compliance_report(start=start_time, end=end_time, filter=filter)
    out = _Out(_settings(ctx))
    if out.json:
        out.raw(report)
        return
    out.items(t.ComplianceEntry, report.entries, title="PUE compliance")
    if report.city_averages:
        out.items(t.CityAverage, report.city_averages, title="city averages")


# --------------------------------------------------------------------------- telemetry

_PROGRESS_FROM_BYTES = 256 * 1024


class _ReadingFile:
    """Readings parsed lazily from a CSV or JSON-lines file, so a large file streams; the
    first bad line is kept in ``error`` (the stream stops there)."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        zone: tzinfo | None,
        data_center: str | None,
        advance: Callable[[int], None],
    ) -> None:
        self.path = path
        self.fmt = fmt
        self.zone = zone
        self.data_center = data_center
        self.advance = advance
        self.error: str | None = None
        self.count = 0

    def _lines(self) -> Iterator[tuple[int, str]]:
        with self.path.open("rb") as f:
            for number, raw in enumerate(f, start=1):
                self.advance(len(raw))
                yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")

    def _meter(self, value: str) -> str:
        if value.startswith("dataCenters/") or not self.data_center:
            return value
        dc = self.data_center.removeprefix("dataCenters/")
        return f"dataCenters/{dc}/meters/{value}"

    def _reading(self, row: Mapping[str, Any], line: int) -> t.Reading:
        def number(key: str) -> float | None:
            value = row.get(key)
            if value is None or value == "":
                return None
            if isinstance(value, bool):
                raise ValueError(f"{key} must be a number")
            return float(value)

        meter = str(row.get("meter") or "")
        when = row.get("read_time")
        if not meter or when in (None, ""):
            raise ValueError("meter and read_time are required")
        try:
            read_time = parse_time(str(when), self.zone)
        except typer.BadParameter as exc:
            raise ValueError(exc.message) from None
        return t.Reading(
            meter=self._meter(meter),
            read_time=read_time,
            energy_kwh=number("energy_kwh"),
            power_kw=number("power_kw"),
        )

    def __iter__(self) -> Iterator[t.Reading]:
        line = 0
        try:
            if self.fmt == "csv":
                numbered = self._lines()
                first = next(numbered, None)
                if first is None:
                    return
                header = next(csv.reader([first[1]]))
                for line, text in numbered:
                    if not text.strip():
                        continue
                    values = next(csv.reader([text]))
                    yield self._reading(dict(zip(header, values, strict=False)), line)
                    self.count += 1
            else:
                for line, text in self._lines():
                    if not text.strip():
                        continue
                    row = json.loads(text)
                    if not isinstance(row, dict):
                        raise ValueError("each line must be a JSON object")
                    yield self._reading(row, line)
                    self.count += 1
        except (ValueError, UnicodeDecodeError, csv.Error) as exc:
            self.error = f"{self.path.name} line {line}: {exc}"
            raise


@telemetry_app.command("push")
def telemetry_push(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (meter,read_time,energy_kwh,power_kw) or JSON lines with those keys."
        ),
    ],
    format: Annotated[
        Literal["csv", "jsonl"] | None,
        typer.Option(help="Encoding (default: by suffix; .csv or else JSON lines)."),
    ] = None,
    data_center: Annotated[
        str | None,
        typer.Option("--data-center", "-d", help="Data center of meters given by bare id."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="Zone of times without a UTC offset, e.g. Asia/Shanghai."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Readings per stream message.")] = 500,
    timeout: Annotated[
        float, typer.Option(min=0.001, help="Deadline of the whole upload, seconds.")
    ] = DEFAULT_UPLOAD_TIMEOUT,
) -> None:
    """Stream meter readings to the server (RecordReadings), with a progress bar for large
    files; repeats of a (meter, time) already stored are counted as duplicates."""
    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a file")
    zone: tzinfo | None = None
    if timezone:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise typer.BadParameter(f"unknown time zone {timezone!r}") from None
    fmt = format or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    size = file.stat().st_size
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=_stderr(),
        transient=True,
        disable=size < _PROGRESS_FROM_BYTES,
    )
    task = progress.add_task(f"pushing {file.name}", total=size)
    readings = _ReadingFile(file, fmt, zone, data_center, lambda n: progress.advance(task, n))
    settings = _settings(ctx)
    with progress, _session(ctx, cause=lambda: readings.error) as client:
        result = client.record_readings(readings, batch_size=batch_size, timeout=timeout)
    out = _Out(settings)
    if out.json:
        out.raw(result)
    else:
        out.note(
            f"{file.name}: {result.accepted} readings stored, {result.duplicates} duplicates "
            f"ignored ({readings.count} sent)"
        )


@telemetry_app.command("meters")
def telemetry_meters(
    ctx: typer.Context,
    data_center: Annotated[
        str | None, typer.Argument(help="Data center (default: all).", show_default=False)
    ] = None,
) -> None:
    """List meters."""
    with _session(ctx) as client:
        items = list(client.iter_meters(data_center))
    _Out(_settings(ctx)).items(t.Meter, items)


@telemetry_app.command("add-meter")
def telemetry_add_meter(
    ctx: typer.Context,
    data_center: Annotated[str, typer.Argument(help="Data center.")],
    meter_id: Annotated[str, typer.Argument(metavar="ID", help="Meter id.")],
    point: Annotated[
        Literal[
            "utility-input",
            "ups-output",
            "pdu-output",
            "it-input",
            "cooling",
            "lighting",
            "other",
        ],
        typer.Option(help="Where it measures (sets the PUE category of IT meters)."),
    ],
    description: Annotated[str, typer.Option(help="Free text.")] = "",
) -> None:
    """Register a meter."""
    meter = t.Meter(
        metering_point=_to_enum(t.MeteringPoint, point, "--point"), description=description
    )
    with _session(ctx) as client:
        created = client.create_meter(data_center, meter_id, meter)
    _Out(_settings(ctx)).one(created, title="created")
