"""Executes the documentation so that it cannot rot: every ```python block, every ``grpcurl``
command and every ``computenet`` command line of README.md, docs/API.md and docs/CLI.md, and
the two example scripts, run against a real in-process server with the demo network.

How the Markdown is read:

- A fenced block preceded by ``<!-- not-run: reason -->`` is skipped (the reason is required).
- A block preceded by ``<!-- file: NAME -->`` is written to ``NAME`` in the working directory
  before anything runs (inventory files, job specs, readings).
- ``python`` blocks of one document run in order in one namespace, like a notebook; they find
  the server through ``COMPUTENET_ADDRESS``, which the test sets.
- ``sh`` blocks hold only ``grpcurl`` and ``computenet`` lines (and comments); anything else
  must be marked not-run. The documented address ``127.0.0.1:50051`` is replaced by the test
  server's. grpcurl is not installed here, so each command is parsed (method, ``-d``, ``-H``,
  ``-max-time``) and sent through server reflection, as grpcurl does. A ``json`` or ``text``
  block right after a grpcurl block is its output: the JSON shown must be contained in the
  answer, and ``ERROR: Code: X`` says which status the call must end with (else OK).
- ``computenet`` lines run through typer's CliRunner with ``--address`` injected and must exit
  0. ``computenet admin token create`` prints a token; it becomes ``$COMPUTENET_TOKEN``.
- Blocks under the heading AUTH_SECTION run against a server with authentication on; all
  others against one with it off, as ``computenet serve --demo`` runs.

The python blocks and the grpcurl commands of a document each get their own fresh server, so
each path is whole on its own, as for a reader who follows only one of them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import typer
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status
from typer.testing import CliRunner

from clients import ApiError, Client
from computenet.cli import app
from computenet.config import Config
from computenet.v1 import common_pb2, inventory_pb2, scheduler_pb2, telemetry_pb2
from scheduler.testing import ThreadedServer, serve_in_thread

__all__: list[str] = []

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
API = ROOT / "docs" / "API.md"
CLI = ROOT / "docs" / "CLI.md"
EXAMPLES = ROOT / "examples"
DOCS_ADDRESS = "127.0.0.1:50051"
"""The address the documents show; replaced by the test server's."""
AUTH_SECTION = "Authentication and TLS"
"""Blocks under this heading (at any depth) run against a server with authentication on."""
TOKEN_VARIABLE = "COMPUTENET_TOKEN"
DEMO_DATA_CENTER = "dataCenters/fj-ai-center"
"""A demo data center with simulated meters: the server is ready once its PUE is measured."""
SERVICES = (
    inventory_pb2.DESCRIPTOR.services_by_name["InventoryService"],
    scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"],
    telemetry_pb2.DESCRIPTOR.services_by_name["TelemetryService"],
)

# --------------------------------------------------------------------------- Markdown


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    """The file."""
    line: int
    """1-based line of the opening fence."""
    end: int
    """1-based line of the closing fence."""
    lang: str
    """The fence's info string (``python``, ``sh``, ``json``, ...)."""
    text: str
    """The content."""
    sections: tuple[str, ...]
    """The headings above it, outermost first."""
    not_run: str | None
    """The reason given by a ``<!-- not-run: ... -->`` comment, if any."""
    file: str | None
    """The name given by a ``<!-- file: ... -->`` comment, if any."""

    @property
    def where(self) -> str:
        """``docs/API.md:120``, for failure messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"


_FENCE = re.compile(r"^```\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.*?)\s*-->$")
_FILE = re.compile(r"^<!--\s*file:\s*(\S+)\s*-->$")


def parse_blocks(path: Path) -> list[Block]:
    """The fenced blocks of ``path`` in order, with their headings and markers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        heading = _HEADING.match(lines[i])
        fence = _FENCE.match(lines[i])
        if heading:
            level = len(heading.group(1))
            headings = [h for h in headings if h[0] < level] + [(level, heading.group(2))]
        elif fence:
            start = i
            i += 1
            while i < len(lines) and lines[i].rstrip() != "```":
                i += 1
            if i == len(lines):
                raise AssertionError(f"{path.name}:{start + 1}: unclosed code fence")
            before = lines[start - 1].strip() if start > 0 else ""
            not_run = _NOT_RUN.match(before)
            if not_run is not None and not not_run.group(1):
                raise AssertionError(f"{path.name}:{start + 1}: not-run needs a reason")
            file = _FILE.match(before)
            blocks.append(
                Block(
                    path=path,
                    line=start + 1,
                    end=i + 1,
                    lang=fence.group(1),
                    text="\n".join(lines[start + 1 : i]) + "\n",
                    sections=tuple(h[1] for h in headings),
                    not_run=not_run.group(1) if not_run else None,
                    file=file.group(1) if file else None,
                )
            )
        i += 1
    return blocks


def in_auth_section(block: Block) -> bool:
    """Whether the block belongs to the authentication section."""
    return AUTH_SECTION in block.sections


def output_of(blocks: Sequence[Block], index: int) -> Block | None:
    """The ``json`` or ``text`` block showing the output of ``blocks[index]``: the next block,
    when it starts within a short paragraph of it."""
    if index + 1 >= len(blocks):
        return None
    nxt = blocks[index + 1]
    if nxt.lang in ("json", "text") and nxt.line - blocks[index].end <= 4 and nxt.file is None:
        return nxt
    return None


@dataclass(frozen=True, slots=True)
class ShellLine:
    """One command of a ``sh`` block."""

    block: Block
    """Its block."""
    line: int
    """Its 1-based line in the file."""
    text: str
    """The command, continuation lines joined."""
    argv: tuple[str, ...]
    """The command split as a POSIX shell splits it (before variable expansion)."""

    @property
    def where(self) -> str:
        return f"{self.block.path.relative_to(ROOT)}:{self.line}"

    @property
    def kind(self) -> str:
        """``grpcurl``, ``computenet`` or ``other``."""
        program = Path(self.argv[0]).name if self.argv else ""
        return program if program in ("grpcurl", "computenet") else "other"


def shell_lines(block: Block) -> list[ShellLine]:
    """The commands of a shell block (comments and blank lines dropped). A command goes on
    over lines ending in a backslash and over newlines inside quotes, as in a shell."""
    out: list[ShellLine] = []
    buffer: list[str] = []
    first = 0
    for offset, raw in enumerate(block.text.splitlines()):
        if not buffer:
            if not raw.strip() or raw.strip().startswith("#"):
                continue
            first = block.line + 1 + offset
        buffer.append(raw)
        joined = "\n".join(buffer)
        if joined.rstrip().endswith("\\"):
            continue
        text = joined.replace("\\\n", " ").strip()
        try:
            argv = tuple(shlex.split(text, comments=True))
        except ValueError:  # a quote still open: the command goes on
            continue
        buffer = []
        lexer = shlex.shlex(text, posix=False)
        lexer.whitespace_split = True
        for token in lexer:
            if re.search(r"'[^']*\$\w", token):
                raise AssertionError(
                    f"{block.path.name}:{first}: a $VARIABLE inside single quotes is not "
                    "expanded by the shell; use double quotes"
                )
        out.append(ShellLine(block, first, text, argv))
    if buffer:
        raise AssertionError(f"{block.path.name}:{first}: unclosed quote or continuation")
    return out


def expand(argv: Sequence[str], variables: dict[str, str], where: str) -> list[str]:
    """``argv`` with ``$NAME`` and ``${NAME}`` replaced from ``variables``."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise AssertionError(f"{where}: ${name} is not set at this point of the document")
        return variables[name]

    return [re.sub(r"\$\{(\w+)\}|\$(\w+)", one, arg) for arg in argv]


# --------------------------------------------------------------------------- grpcurl


@dataclass(frozen=True, slots=True)
class Grpcurl:
    """A grpcurl command line, parsed as grpcurl parses its flags."""

    address: str
    """host:port."""
    verb: tuple[str, ...]
    """``("list",)``, ``("list", service)``, ``("describe", symbol)`` or ``(method,)``."""
    data: str | None = None
    """The ``-d`` request JSON (several objects for a client stream)."""
    headers: tuple[tuple[str, str], ...] = ()
    """``-H`` metadata."""
    max_time: float | None = None
    """``-max-time`` seconds."""
    plaintext: bool = False
    """``-plaintext``."""


_GRPCURL_VALUE_FLAGS = {"d", "H", "max-time", "connect-timeout"}
_GRPCURL_BOOL_FLAGS = {"plaintext", "emit-defaults", "v"}


def parse_grpcurl(argv: Sequence[str], where: str) -> Grpcurl:
    """Parse a grpcurl command; flags this test cannot honour fail the test."""
    args = list(argv[1:])
    values: dict[str, list[str]] = {}
    flags: set[str] = set()
    while args and args[0].startswith("-"):
        raw = args.pop(0).lstrip("-")
        name, eq, value = raw.partition("=")
        if name in _GRPCURL_BOOL_FLAGS:
            flags.add(name)
        elif name in _GRPCURL_VALUE_FLAGS:
            if not eq:
                if not args:
                    raise AssertionError(f"{where}: -{name} needs a value")
                value = args.pop(0)
            values.setdefault(name, []).append(value)
        else:
            raise AssertionError(f"{where}: grpcurl flag -{name} is not emulated by this test")
    if "plaintext" not in flags:
        raise AssertionError(f"{where}: the test server speaks plaintext; add -plaintext")
    if not args:
        raise AssertionError(f"{where}: grpcurl needs an address")
    headers = []
    for h in values.get("H", []):
        key, sep, value = h.partition(":")
        if not sep:
            raise AssertionError(f"{where}: -H {h!r} is not 'name: value'")
        headers.append((key.strip().lower(), value.strip()))
    max_time = values.get("max-time")
    data = values.get("d")
    return Grpcurl(
        address=args[0],
        verb=tuple(args[1:]),
        data=data[-1] if data else None,
        headers=tuple(headers),
        max_time=float(max_time[-1]) if max_time else None,
        plaintext=True,
    )


@dataclass
class CallResult:
    """What a call answered."""

    code: grpc.StatusCode
    """Final status."""
    message: str = ""
    """Status message."""
    responses: list[dict[str, Any]] = field(default_factory=list)
    """Responses as grpcurl prints them (proto3 JSON, camelCase, defaults omitted)."""
    details: list[dict[str, Any]] = field(default_factory=list)
    """Status details as JSON, each with ``@type``."""
    listed: list[str] = field(default_factory=list)
    """The names a ``list`` printed."""


_DETAIL_TYPES: tuple[type[Message], ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.QuotaFailure,
)


class Reflector:
    """Sends grpcurl commands to a server it knows only through server reflection."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.database = ProtoReflectionDescriptorDatabase(channel)
        self.pool = descriptor_pool.DescriptorPool(self.database)

    def services(self) -> list[str]:
        return sorted(self.database.get_services())

    def call(self, cmd: Grpcurl, where: str) -> CallResult:
        if cmd.verb[:1] == ("list",):
            if len(cmd.verb) == 1:
                return CallResult(grpc.StatusCode.OK, listed=self.services())
            service = self.pool.FindServiceByName(cmd.verb[1])
            return CallResult(
                grpc.StatusCode.OK, listed=sorted(m.full_name for m in service.methods)
            )
        if cmd.verb[:1] == ("describe",):
            symbol = cmd.verb[1]
            try:
                self.pool.FindServiceByName(symbol)
            except KeyError:
                self.pool.FindMessageTypeByName(symbol)  # KeyError: no such symbol
            return CallResult(grpc.StatusCode.OK, listed=[symbol])
        if len(cmd.verb) != 1:
            raise AssertionError(f"{where}: expected one method, got {cmd.verb}")
        service_name, sep, method_name = cmd.verb[0].replace("/", ".").rpartition(".")
        if not sep:
            raise AssertionError(f"{where}: {cmd.verb[0]!r} is not service/method")
        method = self.pool.FindServiceByName(service_name).methods_by_name[method_name]
        request_cls = message_factory.GetMessageClass(method.input_type)
        response_cls = message_factory.GetMessageClass(method.output_type)
        requests = [json_format.Parse(json.dumps(o), request_cls()) for o in _json_objects(cmd)]
        if not method.client_streaming and len(requests) > 1:
            raise AssertionError(f"{where}: {method_name} takes one request, -d holds several")
        path = f"/{service_name}/{method_name}"
        kwargs: dict[str, Any] = {
            "request_serializer": lambda m: m.SerializeToString(),
            "response_deserializer": response_cls.FromString,
        }
        timeout = cmd.max_time if cmd.max_time is not None else 30.0
        metadata = list(cmd.headers)
        result = CallResult(grpc.StatusCode.OK)
        try:
            if method.client_streaming and method.server_streaming:
                raise AssertionError(f"{where}: bidirectional streams are not emulated")
            if method.server_streaming:
                stream = self.channel.unary_stream(path, **kwargs)(
                    requests[0] if requests else request_cls(), timeout=timeout, metadata=metadata
                )
                for response in stream:
                    result.responses.append(json_format.MessageToDict(response))
            elif method.client_streaming:
                response = self.channel.stream_unary(path, **kwargs)(
                    iter(requests), timeout=timeout, metadata=metadata
                )
                result.responses.append(json_format.MessageToDict(response))
            else:
                response = self.channel.unary_unary(path, **kwargs)(
                    requests[0] if requests else request_cls(), timeout=timeout, metadata=metadata
                )
                result.responses.append(json_format.MessageToDict(response))
        except grpc.RpcError as exc:
            call: Any = exc
            result.code = call.code()
            result.message = call.details() or ""
            status = rpc_status.from_call(call)
            for detail in status.details if status is not None else ():
                for cls in _DETAIL_TYPES:
                    if detail.Is(cls.DESCRIPTOR):
                        unpacked = cls()
                        detail.Unpack(unpacked)
                        shown = json_format.MessageToDict(unpacked)
                        result.details.append(
                            {"@type": f"type.googleapis.com/{cls.DESCRIPTOR.full_name}", **shown}
                        )
        return result


def _json_objects(cmd: Grpcurl) -> list[dict[str, Any]]:
    """The JSON objects of ``-d`` (grpcurl reads a sequence of them for client streams)."""
    return _json_sequence(cmd.data or "")


def _json_sequence(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    items: list[Any] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return items
        item, i = decoder.raw_decode(text, i)
        items.append(item)


@dataclass(frozen=True, slots=True)
class Shown:
    """What a document says a grpcurl command prints."""

    code: grpc.StatusCode = grpc.StatusCode.OK
    """The status it ends with."""
    message: str | None = None
    """The ``Message:`` line, if shown."""
    responses: tuple[Any, ...] = ()
    """The response JSON objects shown (each must be contained in the answer)."""
    reasons: tuple[str, ...] = ()
    """ErrorInfo reasons shown."""
    fields: tuple[str, ...] = ()
    """BadRequest field paths shown."""
    lines: tuple[str, ...] = ()
    """For ``list``: the names shown."""


def _status_code(go_name: str) -> grpc.StatusCode:
    """grpc-go's name of a code (``NotFound``, ``Canceled``) as a ``grpc.StatusCode``."""
    names = {c.name.replace("_", "").lower(): c for c in grpc.StatusCode}
    names["canceled"] = grpc.StatusCode.CANCELLED
    return names[go_name.lower()]


def parse_shown(block: Block, cmd: Grpcurl) -> Shown:
    """The output a document shows for ``cmd``."""
    text = block.text
    if cmd.verb[:1] in (("list",), ("describe",)):
        return Shown(lines=tuple(line.strip() for line in text.splitlines() if line.strip()))
    body, sep, error = text.partition("ERROR:")
    try:
        responses = tuple(_json_sequence(body))
    except json.JSONDecodeError as exc:
        raise AssertionError(f"{block.where}: the output is not JSON: {exc}") from None
    if not sep:
        return Shown(responses=responses)
    code = re.search(r"^\s*Code:\s*(\w+)\s*$", error, re.M)
    if code is None:
        raise AssertionError(f"{block.where}: ERROR without a Code: line")
    message = re.search(r"^\s*Message:\s*(.*?)\s*$", error, re.M)
    return Shown(
        code=_status_code(code.group(1)),
        message=message.group(1) if message else None,
        responses=responses,
        reasons=tuple(re.findall(r'"reason":\s*"(\w+)"', error)),
        fields=tuple(re.findall(r'"field":\s*"([^"]+)"', error)),
    )


def contains(actual: Any, shown: Any) -> bool:
    """Whether ``shown`` is ``actual`` with some object keys left out."""
    if isinstance(shown, dict):
        return isinstance(actual, dict) and all(
            k in actual and contains(actual[k], v) for k, v in shown.items()
        )
    if isinstance(shown, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(shown)
            and all(contains(a, s) for a, s in zip(actual, shown, strict=True))
        )
    return bool(actual == shown)


def check_grpcurl(
    line: ShellLine,
    output: Block | None,
    reflector: Reflector,
    address: str,
    variables: dict[str, str],
) -> CallResult:
    """Run one grpcurl line against the server and hold it to what the document shows."""
    argv = expand(line.argv, variables, line.where)
    cmd = parse_grpcurl(argv, line.where)
    assert cmd.address == DOCS_ADDRESS, f"{line.where}: use the address {DOCS_ADDRESS}"
    cmd = Grpcurl(address, cmd.verb, cmd.data, cmd.headers, cmd.max_time, plaintext=cmd.plaintext)
    result = reflector.call(cmd, line.where)
    shown = parse_shown(output, cmd) if output is not None else Shown()
    if cmd.verb[:1] == ("list",):
        if shown.lines:
            assert sorted(shown.lines) == result.listed, (
                f"{line.where}: reflection lists {result.listed}, the document {shown.lines}"
            )
        return result
    if cmd.verb[:1] == ("describe",):
        if shown.lines:
            assert shown.lines[0].startswith(f"{cmd.verb[1]} is a "), line.where
        return result
    # A watch stopped by -max-time ends with DEADLINE_EXCEEDED in grpcurl too.
    assert result.code == shown.code, (
        f"{line.where}: {cmd.verb[0]} answered {result.code.name} {result.message!r} "
        f"{result.details}, the document shows {shown.code.name}"
    )
    if shown.message is not None and shown.code != grpc.StatusCode.DEADLINE_EXCEEDED:
        assert result.message == shown.message, (
            f"{line.where}: message {result.message!r}, the document shows {shown.message!r}"
        )
    reasons = [d.get("reason") for d in result.details]
    for reason in shown.reasons:
        assert reason in reasons, f"{line.where}: reason {reason} not in {result.details}"
    violations = [v.get("field") for d in result.details for v in d.get("fieldViolations", [])]
    for path in shown.fields:
        assert path in violations, f"{line.where}: field {path} not in {result.details}"
    assert len(result.responses) >= len(shown.responses), (
        f"{line.where}: {len(result.responses)} responses, the document shows "
        f"{len(shown.responses)}"
    )
    for actual, expected in zip(result.responses, shown.responses, strict=False):
        assert contains(actual, expected), (
            f"{line.where}: the answer\n{json.dumps(actual, indent=2, ensure_ascii=False)}\n"
            f"does not contain what the document shows\n"
            f"{json.dumps(expected, indent=2, ensure_ascii=False)}"
        )
    return result


# --------------------------------------------------------------------------- CLI


def run_cli(line: ShellLine, address: str, variables: dict[str, str], env: dict[str, str]) -> str:
    """Run a ``computenet`` line through CliRunner; it must exit 0. Returns its stdout."""
    argv = expand(line.argv[1:], variables, line.where)
    if argv[:1] == ["serve"]:
        raise AssertionError(f"{line.where}: serve runs until stopped; mark the block not-run")
    result = CliRunner().invoke(app, ["--address", address, *argv], env=env)
    assert result.exit_code == 0, (
        f"{line.where}: `{line.text}` exited {result.exit_code}\n{result.output}"
        + (f"\n{result.exception!r}" if result.exception else "")
    )
    return result.stdout


# --------------------------------------------------------------------------- servers


def demo_config(tmp_path: Path, name: str, *, auth: bool = False) -> Config:
    """The configuration ``computenet serve --demo`` runs with, on port 0 in ``tmp_path``."""
    return Config(
        host="127.0.0.1",
        port=0,
        database_url=f"sqlite:///{tmp_path / f'{name}.db'}",
        demo=True,
        auth=auth,
        batch_interval_seconds=0,
        log_level="warning",
    )


@contextlib.contextmanager
def demo_server(config: Config) -> Iterator[ThreadedServer]:
    """A demo server whose simulated meters have back-filled (so PUE answers are measured)."""
    with serve_in_thread(config) as server:
        token = None
        if config.auth:
            from computenet import db
            from computenet.auth import Role, TokenStore

            engine = db.create_engine(config.database_url)
            _, token = TokenStore(engine).create(name="docs-ready", role=Role.OPERATOR)
            engine.dispose()
        with Client(server.address, token=token) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.get_pue(DEMO_DATA_CENTER)
                    break
                except ApiError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        yield server


@dataclass
class Run:
    """One walk through a document against one server."""

    server: ThreadedServer
    """The server."""
    workdir: Path
    """Where files are written and commands run."""
    setenv: Callable[[str, str], None]
    """Sets an environment variable for the rest of the test (``monkeypatch.setenv``)."""
    variables: dict[str, str] = field(default_factory=dict)
    """Shell variables set so far (``$COMPUTENET_TOKEN``)."""
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__docs__"})
    """The python blocks' shared globals."""
    ran: list[str] = field(default_factory=list)
    """What ran, ``kind where``, for the coverage checks."""

    @property
    def address(self) -> str:
        return self.server.address

    def walk(
        self,
        blocks: Sequence[Block],
        *,
        kinds: set[str],
        select: Callable[[Block], bool] = lambda b: True,
    ) -> None:
        """Run the blocks ``select`` picks, of ``kinds`` (python, grpcurl, computenet)."""
        env = {
            "COLUMNS": "120",
            "COMPUTENET_ADDRESS": self.address,
            "COMPUTENET_DATABASE_URL": self.server.running.config.database_url,
        }
        # Files first: prose may name a file before the block that shows it.
        for block in blocks:
            if block.file is not None and block.not_run is None:
                (self.workdir / block.file).write_text(block.text, encoding="utf-8")
        with grpc.insecure_channel(self.address) as channel:
            reflector = Reflector(channel)
            for index, block in enumerate(blocks):
                if block.not_run is not None or block.file is not None or not select(block):
                    continue
                if block.lang == "python" and "python" in kinds:
                    self._python(block)
                elif block.lang in ("sh", "shell", "bash", "console"):
                    lines = shell_lines(block)
                    for number, line in enumerate(lines, start=1):
                        if line.kind == "other":
                            raise AssertionError(
                                f"{line.where}: `{line.text}` cannot run here; mark the block "
                                "<!-- not-run: reason -->"
                            )
                        if line.kind not in kinds:
                            continue
                        if line.kind == "grpcurl":
                            # An output block shows what the block's last command prints.
                            shown = output_of(blocks, index) if number == len(lines) else None
                            variables = {**os.environ, **self.variables}
                            check_grpcurl(line, shown, reflector, self.address, variables)
                        else:
                            self._cli(line, {**env, **self.variables})
                        self.ran.append(f"{line.kind} {line.where}")

    def _python(self, block: Block) -> None:
        code = compile(block.text, block.where, "exec")
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(code, self.namespace)
        except Exception as exc:
            raise AssertionError(
                f"{block.where}: the python block failed: {exc!r}\noutput so far:\n{out.getvalue()}"
            ) from exc
        self.ran.append(f"python {block.where}")

    def _cli(self, line: ShellLine, env: dict[str, str]) -> None:
        stdout = run_cli(line, self.address, self.variables, env)
        if line.argv[1:4] == ("admin", "token", "create"):
            token = re.search(r"^(cn_\S+)$", stdout, re.M)
            assert token is not None, f"{line.where}: no token printed:\n{stdout}"
            self.variables[TOKEN_VARIABLE] = token.group(1)
            self.setenv(TOKEN_VARIABLE, token.group(1))  # for the python blocks that follow


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, and an environment with no COMPUTENET_* settings of the
    person running the tests."""
    for name in list(os.environ):
        if name.startswith("COMPUTENET_"):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _walk(
    doc: Path,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    kinds: set[str],
    *,
    auth: bool = False,
    select: Callable[[Block], bool] = lambda b: True,
) -> Run:
    blocks = parse_blocks(doc)
    name = f"{doc.stem}-{'-'.join(sorted(kinds))}"
    with demo_server(demo_config(tmp_path, name, auth=auth)) as server:
        monkeypatch.setenv("COMPUTENET_ADDRESS", server.address)
        monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
        run = Run(server, workdir, monkeypatch.setenv)
        run.walk(blocks, kinds=kinds, select=select)
    return run


def _not_auth(block: Block) -> bool:
    return not in_auth_section(block)


# --------------------------------------------------------------------------- tests


class TestApiDocument:
    """docs/API.md: every example runs, and every RPC has one in grpcurl and in Python."""

    def test_python_examples_run(
        self, tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every python block outside the auth section runs, in order, against a demo server."""
        run = _walk(API, tmp_path, workdir, monkeypatch, {"python"}, select=_not_auth)
        assert run.ran, "docs/API.md has no python block that runs"

    def test_grpcurl_examples_answer_as_shown(
        self, tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every grpcurl command outside the auth section answers OK, or the code shown."""
        run = _walk(API, tmp_path, workdir, monkeypatch, {"grpcurl"}, select=_not_auth)
        assert run.ran, "docs/API.md has no grpcurl command that runs"

    def test_auth_section_runs_against_an_authenticating_server(
        self, tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The auth section's token command, grpcurl calls and python block run, in order,
        against a server that requires tokens."""
        run = _walk(
            API,
            tmp_path,
            workdir,
            monkeypatch,
            {"python", "grpcurl", "computenet"},
            auth=True,
            select=in_auth_section,
        )
        kinds = {entry.split()[0] for entry in run.ran}
        assert kinds == {"python", "grpcurl", "computenet"}, run.ran

    def test_every_rpc_has_a_grpcurl_and_a_python_example(self) -> None:
        """Each method of the three services is called by a grpcurl command and its SDK
        method by a python block that run (not marked not-run)."""
        blocks = [b for b in parse_blocks(API) if b.not_run is None]
        methods = {
            argv[-1]
            for b in blocks
            if b.lang == "sh"
            for line in shell_lines(b)
            if line.kind == "grpcurl"
            for argv in [line.argv]
        }
        python = "\n".join(b.text for b in blocks if b.lang == "python")
        missing_grpcurl, missing_python = [], []
        for service in SERVICES:
            for method in service.methods:
                if f"{service.full_name}/{method.name}" not in methods:
                    missing_grpcurl.append(method.name)
                snake = re.sub(r"(?<!^)(?=[A-Z])", "_", method.name).lower()
                if not re.search(rf"\.{snake}\(", python):
                    missing_python.append(snake)
        assert not missing_grpcurl, f"no grpcurl example of {missing_grpcurl}"
        assert not missing_python, f"no python example of {missing_python}"

    def test_every_error_reason_is_explained(self) -> None:
        """Each ErrorReason of common.proto appears, as the ErrorInfo reason string, in the
        errors section."""
        text = API.read_text(encoding="utf-8")
        for value in common_pb2.ErrorReason.DESCRIPTOR.values:
            if value.number == 0:
                continue
            reason = value.name.removeprefix("ERROR_REASON_")
            assert f"`{reason}`" in text, f"ErrorInfo reason {reason} is not documented"

    def test_not_run_blocks_are_few(self) -> None:
        """Blocks that do not run are the exception: at most a quarter of the code blocks."""
        code = [b for b in parse_blocks(API) if b.lang in ("python", "sh")]
        skipped = [b.where for b in code if b.not_run is not None]
        assert len(skipped) * 4 <= len(code), skipped

    def test_protos_compile_with_the_documented_include_paths(self, tmp_path: Path) -> None:
        """protoc (grpc_tools' copy) compiles proto/ with ``-I proto`` plus the well-known
        types' include directory, as the client generation section says."""
        from importlib.util import find_spec

        spec = find_spec("grpc_tools")
        assert spec is not None
        assert spec.submodule_search_locations is not None
        well_known = Path(spec.submodule_search_locations[0]) / "_proto"
        files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "proto").rglob("*.proto"))
        out = tmp_path / "computenet.binpb"
        # A subprocess: protoc loaded into this process next to grpc's core can crash it.
        done = subprocess.run(
            [sys.executable, "-m", "grpc_tools.protoc", "-I", "proto", "-I", str(well_known),
             f"--descriptor_set_out={out}", *files],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert out.stat().st_size > 0
        text = API.read_text(encoding="utf-8")
        assert "-I proto" in text
        assert "grpc_tools" in text


class TestReadme:
    """README.md: its python, grpcurl and CLI examples run against a demo server."""

    def test_examples_run(
        self, tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every runnable block of the README runs; the Quickstart's install lines are the
        only ones skipped."""
        run = _walk(README, tmp_path, workdir, monkeypatch, {"python", "grpcurl", "computenet"})
        kinds = {entry.split()[0] for entry in run.ran}
        assert kinds == {"python", "grpcurl", "computenet"}, run.ran
        assert (workdir / "network.yaml").is_file()

    def test_quickstart_commands_are_kept(self) -> None:
        """The two Quickstart commands CI copies are in the README verbatim."""
        text = README.read_text(encoding="utf-8")
        for command in (
            'python3.11 -m venv .venv && .venv/bin/pip install -e ".[server]" && '
            ".venv/bin/computenet serve --demo",
            'python3.11 -m venv .venv && .venv/bin/pip install -e ".[test]" && '
            ".venv/bin/python -m pytest",
        ):
            assert command in text

    def test_links_to_the_documentation(self) -> None:
        """The README's Documentation section links every file of docs/."""
        text = README.read_text(encoding="utf-8")
        assert "## Documentation" in text
        for doc in sorted((ROOT / "docs").glob("*.md")):
            assert f"(docs/{doc.name})" in text, f"README does not link docs/{doc.name}"


def _leaf_commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The paths of every command that is not a group (typer vendors its own click, so by
    duck typing)."""
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _leaf_commands(sub, (*path, name))
    else:
        yield path


class TestCliDocument:
    """docs/CLI.md: every command line runs, and every command is documented."""

    def test_command_lines_run(
        self, tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every computenet line of CLI.md exits 0 against a demo server, in order."""
        run = _walk(CLI, tmp_path, workdir, monkeypatch, {"computenet"})
        assert len(run.ran) >= 20, run.ran

    def test_every_command_is_documented(self) -> None:
        """Each leaf command of the CLI is named in CLI.md (inventory commands once per verb,
        with each kind named)."""
        text = CLI.read_text(encoding="utf-8")
        missing = []
        for path in _leaf_commands(typer.main.get_command(app)):
            if path[0] == "inventory" and len(path) == 3:
                wanted = [f"inventory {path[1]}", path[2]]
            else:
                wanted = [" ".join(path)]
            missing += [w for w in wanted if w not in text]
        assert not missing, f"CLI.md does not mention {sorted(set(missing))}"

    def test_lines_not_run_still_parse(self) -> None:
        """The computenet lines of blocks marked not-run (``serve`` and its flags) use only
        commands and options the CLI has: each parses with ``--help`` appended."""
        checked = 0
        for doc in (README, API, CLI):
            for block in parse_blocks(doc):
                if block.not_run is None or block.lang != "sh":
                    continue
                for line in shell_lines(block):
                    for argv in _commands_of(line.argv):
                        if Path(argv[0]).name != "computenet":
                            continue
                        result = CliRunner().invoke(app, [*argv[1:], "--help"])
                        assert result.exit_code == 0, f"{line.where}: {argv}\n{result.output}"
                        checked += 1
        assert checked >= 5


def _commands_of(argv: Sequence[str]) -> Iterator[list[str]]:
    """The simple commands of a shell line joined by ``&&``, ``||``, ``;`` or ``|``."""
    current: list[str] = []
    for arg in argv:
        if arg in ("&&", "||", ";", "|"):
            if current:
                yield current
            current = []
        else:
            current.append(arg)
    if current:
        yield current


class TestExamples:
    """examples/: the tenant and integrator scripts run against a demo server."""

    def test_scripts_exit_zero(self, tmp_path: Path, workdir: Path) -> None:
        """Both scripts run as subprocesses against one demo server and exit 0."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTENET_")} | {
            "PYTHONPATH": str(ROOT)
        }
        with demo_server(demo_config(tmp_path, "examples")) as server:
            for script, needle in (
                ("tenant.py", "cancelled"),
                ("integrator.py", "signature verified"),
            ):
                done = subprocess.run(
                    [sys.executable, str(EXAMPLES / script), "--address", server.address],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    env=env,
                    cwd=workdir,
                    check=False,
                )
                assert done.returncode == 0, f"{script}:\n{done.stdout}\n{done.stderr}"
                assert needle in done.stdout.lower(), f"{script}:\n{done.stdout}"
