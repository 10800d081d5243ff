"""Webhooks end to end: the four RPCs on a real gRPC server, deliveries to a real HTTP receiver
on 127.0.0.1 (signed, retried, logged), and the receivers' signature check."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy.engine import Engine

from clients.webhooks import sign, verify_signature
from computenet.config import Config
from computenet.errors import NotFound, ResourceExhausted
from computenet.v1 import scheduler_pb2 as pb
from computenet.v1 import scheduler_pb2_grpc as pb_grpc
from scheduler.domain import JobState
from scheduler.testing import serve_in_thread
from scheduler.webhooks import MAX_WEBHOOKS_PER_TENANT, Delivery, Webhook, WebhookStore

SECRET = "correct-horse-battery-staple"


# -- a real HTTP receiver -----------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """One request that reached the receiver."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1, port 0, that records every POST and answers 200,
    or ``status`` for the next ``fail_next`` requests, or always ``always``, or hangs."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_next = 0
        self.fail_status = 500
        self.always: int | None = None
        self.hang_seconds = 0.0
        self._cond = threading.Condition()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._record(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                if receiver.hang_seconds:
                    receiver._release.wait(receiver.hang_seconds)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a hung handler writes to a socket the client has closed

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def _record(self, request: Received) -> int:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail_status
            return self.always or 200

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.requests) >= count, timeout)
            assert ok, f"expected {count} requests, got {len(self.requests)}"
            return list(self.requests)

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


# -- a real gRPC server -------------------------------------------------------------------------

FAST = {
    "webhook_timeout_seconds": 1.0,
    "webhook_max_attempts": 3,
    "webhook_backoff_seconds": 0.05,
    "webhook_max_backoff_seconds": 0.2,
}

StubFactory = Callable[..., pb_grpc.SchedulerServiceStub]


@pytest.fixture
def start(sqlite_url: str) -> Iterator[StubFactory]:
    """Starts a server over SQLite with fast webhook retries (plus overrides) and returns a
    stub of its SchedulerService."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> pb_grpc.SchedulerServiceStub:
            config = Config(
                host="127.0.0.1",
                port=0,
                database_url=sqlite_url,
                batch_interval_seconds=0,
                **{**FAST, **overrides},
            )
            running = stack.enter_context(serve_in_thread(config))
            channel = stack.enter_context(grpc.insecure_channel(running.address))
            return pb_grpc.SchedulerServiceStub(channel)  # type: ignore[no-untyped-call]

        yield make


@pytest.fixture
def stub(start: StubFactory) -> pb_grpc.SchedulerServiceStub:
    return start()


def create_hook(
    stub: pb_grpc.SchedulerServiceStub,
    url: str,
    *,
    tenant: str = "acme",
    hook_id: str = "h1",
    states: tuple[Any, ...] = (),
    secret: str = SECRET,
    request_id: str = "",
) -> pb.Webhook:
    reply = stub.CreateWebhook(
        pb.CreateWebhookRequest(
            parent=f"tenants/{tenant}",
            webhook_id=hook_id,
            webhook=pb.Webhook(url=url, states=list(states), secret=secret),
            request_id=request_id,
        ),
        timeout=5,
    )
    webhook: pb.Webhook = reply.webhook
    return webhook


def submit(stub: pb_grpc.SchedulerServiceStub, job_id: str, tenant: str = "acme") -> pb.Job:
    replica = pb.ReplicaSpec(accelerator_count=1, cpu_milli=1000, memory_mib=1024)
    spec = pb.JobSpec(kind=pb.JOB_KIND_TRAINING, replicas=1, replica=replica)
    request = pb.SubmitJobRequest(parent=f"tenants/{tenant}", job_id=job_id, spec=spec)
    job: pb.Job = stub.SubmitJob(request, timeout=5).job
    return job


def cancel(stub: pb_grpc.SchedulerServiceStub, name: str) -> None:
    stub.CancelJob(pb.CancelJobRequest(name=name), timeout=5)


def deliveries(
    stub: pb_grpc.SchedulerServiceStub, name: str = "tenants/acme/webhooks/h1"
) -> list[pb.WebhookDelivery]:
    reply = stub.ListWebhookDeliveries(pb.ListWebhookDeliveriesRequest(parent=name), timeout=5)
    return list(reply.deliveries)


def wait_log(
    stub: pb_grpc.SchedulerServiceStub, count: int, name: str = "tenants/acme/webhooks/h1"
) -> list[pb.WebhookDelivery]:
    """The delivery log once it has at least ``count`` rows (within 5 s)."""
    deadline = time.monotonic() + 5.0
    while len(log := deliveries(stub, name)) < count:
        assert time.monotonic() < deadline, f"{len(log)} log rows, expected {count}"
        time.sleep(0.02)
    return log


def listed(stub: pb_grpc.SchedulerServiceStub, tenant: str = "acme") -> list[pb.Webhook]:
    reply = stub.ListWebhooks(pb.ListWebhooksRequest(parent=f"tenants/{tenant}"), timeout=5)
    return list(reply.webhooks)


def violations(err: grpc.RpcError) -> dict[str, str]:
    status = rpc_status.from_call(err)
    assert status is not None
    out: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.update({v.field: v.description for v in bad.field_violations})
    return out


def assert_signed(request: Received) -> None:
    assert verify_signature(
        SECRET,
        request.headers["x-computenet-timestamp"],
        request.body,
        request.headers["x-computenet-signature"],
    )


# -- tests --------------------------------------------------------------------------------------


class TestVerifySignature:
    body = b'{"id":"e1","type":"job.state_changed"}'

    def test_accepts_a_fresh_signature(self) -> None:
        """A signature made with the secret over timestamp.body verifies within the window."""
        ts = 1_700_000_000
        header = sign(SECRET, ts, self.body)
        assert header.startswith("sha256=")
        assert verify_signature(SECRET, str(ts), self.body, header, now=ts + 299)

    def test_rejects_a_tampered_body(self) -> None:
        """Changing one byte of the body makes the signature fail."""
        ts = 1_700_000_000
        header = sign(SECRET, ts, self.body)
        tampered = self.body.replace(b"e1", b"e2")
        assert not verify_signature(SECRET, ts, tampered, header, now=ts)

    def test_rejects_an_old_or_future_timestamp(self) -> None:
        """A correctly signed delivery outside the tolerance window is refused (replay)."""
        ts = 1_700_000_000
        header = sign(SECRET, ts, self.body)
        assert not verify_signature(SECRET, ts, self.body, header, now=ts + 301)
        assert not verify_signature(SECRET, ts, self.body, header, now=ts - 301)
        assert verify_signature(SECRET, ts, self.body, header, tolerance_s=600, now=ts + 301)

    def test_rejects_a_wrong_secret_or_a_malformed_header(self) -> None:
        """Another secret, a re-signed timestamp, a bare digest or a junk timestamp fail."""
        ts = 1_700_000_000
        header = sign(SECRET, ts, self.body)
        assert not verify_signature("another-secret-xxxx", ts, self.body, header, now=ts)
        assert not verify_signature(SECRET, ts + 1, self.body, header, now=ts)
        assert not verify_signature(SECRET, ts, self.body, header.removeprefix("sha256="), now=ts)
        assert not verify_signature(SECRET, "yesterday", self.body, header, now=ts)
        assert not verify_signature(SECRET, ts, self.body, "", now=ts)

    def test_accepts_one_match_among_several(self) -> None:
        """During a secret rotation the header may list two signatures; one match suffices."""
        ts = 1_700_000_000
        header = f"{sign('old-secret-old-secret', ts, self.body)}, {sign(SECRET, ts, self.body)}"
        assert verify_signature(SECRET, ts, self.body, header, now=ts)


class TestWebhookRpcs:
    @pytest.mark.parametrize(
        ("hook_id", "url", "secret", "states", "field"),
        [
            ("h1", "ftp://example.com/x", SECRET, (), "webhook.url"),
            ("h1", "http:///no-host", SECRET, (), "webhook.url"),
            ("h1", "", SECRET, (), "webhook.url"),
            ("h1", "https://example.com/" + "a" * 2030, SECRET, (), "webhook.url"),
            ("h1", "https://user:pw@example.com/x", SECRET, (), "webhook.url"),
            ("h1", "https://example.com:99999/x", SECRET, (), "webhook.url"),
            ("h1", "https://example.com/x", "", (), "webhook.secret"),
            ("h1", "https://example.com/x", "too-short-15chr", (), "webhook.secret"),
            (
                "h1",
                "https://example.com/x",
                SECRET,
                (pb.Job.STATE_UNSPECIFIED,),
                "webhook.states[0]",
            ),
            (
                "h1",
                "https://example.com/x",
                SECRET,
                (pb.Job.STATE_RUNNING, 99),
                "webhook.states[1]",
            ),
            ("Bad_Id", "https://example.com/x", SECRET, (), "webhook_id"),
        ],
    )
    def test_bad_input_is_invalid_argument_and_stores_nothing(
        self,
        stub: pb_grpc.SchedulerServiceStub,
        hook_id: str,
        url: str,
        secret: str,
        states: tuple[int, ...],
        field: str,
    ) -> None:
        """Each bad field yields INVALID_ARGUMENT naming that field, and no webhook exists."""
        with pytest.raises(grpc.RpcError) as info:
            create_hook(stub, url, hook_id=hook_id, secret=secret, states=states)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert field in violations(info.value)
        assert listed(stub) == []

    def test_every_bad_field_is_reported_at_once(self, stub: pb_grpc.SchedulerServiceStub) -> None:
        """A request with several bad fields names all of them in one answer."""
        with pytest.raises(grpc.RpcError) as info:
            create_hook(stub, "gopher://x", hook_id="-", secret="short", states=(42,))
        assert set(violations(info.value)) == {
            "webhook.url",
            "webhook.secret",
            "webhook.states[0]",
            "webhook_id",
        }

    def test_secret_is_never_returned(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver
    ) -> None:
        """Create and List answer the name, URL and states, never the secret."""
        made = create_hook(stub, receiver.url, states=(pb.Job.STATE_FAILED, pb.Job.STATE_RUNNING))
        assert made.name == "tenants/acme/webhooks/h1"
        assert made.url == receiver.url
        assert list(made.states) == [pb.Job.STATE_RUNNING, pb.Job.STATE_FAILED]
        assert made.HasField("create_time")
        assert made.secret == ""
        (again,) = listed(stub)
        assert again.secret == ""
        assert again.name == made.name
        assert list(again.states) == list(made.states)

    def test_request_id_makes_create_idempotent(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver
    ) -> None:
        """A repeated request_id returns the first webhook and creates no second one."""
        first = create_hook(stub, receiver.url, hook_id="", request_id="r-1")
        second = create_hook(stub, receiver.url, hook_id="", request_id="r-1")
        assert first.name == second.name
        assert first.name.startswith("tenants/acme/webhooks/")
        assert first.create_time == second.create_time
        assert len(listed(stub)) == 1

    def test_existing_id_is_already_exists(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver
    ) -> None:
        """A second webhook with the same id in the tenant is ALREADY_EXISTS."""
        create_hook(stub, receiver.url)
        with pytest.raises(grpc.RpcError) as info:
            create_hook(stub, receiver.url)
        assert info.value.code() is grpc.StatusCode.ALREADY_EXISTS
        create_hook(stub, receiver.url, tenant="other")  # ids are per tenant

    def test_list_pages_through_the_tenants_webhooks(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver
    ) -> None:
        """Pages of two cover every webhook of the tenant once, and no other tenant's."""
        for hook_id in ("c", "a", "b"):
            create_hook(stub, receiver.url, hook_id=hook_id)
        create_hook(stub, receiver.url, tenant="other", hook_id="z")
        first = stub.ListWebhooks(pb.ListWebhooksRequest(parent="tenants/acme", page_size=2))
        assert [h.name.rsplit("/", 1)[1] for h in first.webhooks] == ["a", "b"]
        rest = stub.ListWebhooks(
            pb.ListWebhooksRequest(
                parent="tenants/acme", page_size=2, page_token=first.next_page_token
            )
        )
        assert [h.name.rsplit("/", 1)[1] for h in rest.webhooks] == ["c"]
        assert rest.next_page_token == ""

    def test_unknown_webhook_is_not_found(self, stub: pb_grpc.SchedulerServiceStub) -> None:
        """Deleting, or listing the deliveries of, a webhook that does not exist is NOT_FOUND."""
        with pytest.raises(grpc.RpcError) as info:
            stub.DeleteWebhook(pb.DeleteWebhookRequest(name="tenants/acme/webhooks/nope"))
        assert info.value.code() is grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:
            deliveries(stub, "tenants/acme/webhooks/nope")
        assert info.value.code() is grpc.StatusCode.NOT_FOUND

    @pytest.mark.parametrize(
        "name", ["webhooks/h1", "tenants/acme/webhooks/" + "x" * 64, "tenants/acme/webhooks/a\x00"]
    )
    def test_malformed_names_are_invalid_argument(
        self, stub: pb_grpc.SchedulerServiceStub, name: str
    ) -> None:
        """A webhook name that is not tenants/{id}/webhooks/{id} is refused before any lookup."""
        with pytest.raises(grpc.RpcError) as info:
            stub.DeleteWebhook(pb.DeleteWebhookRequest(name=name), timeout=5)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as info:
            deliveries(stub, name)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "parent" in violations(info.value)


class TestDelivery:
    def test_every_state_change_is_delivered_signed(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver
    ) -> None:
        """Submit and cancel reach the receiver as two signed events with the job's states."""
        create_hook(stub, receiver.url)
        job = submit(stub, "j1")
        cancel(stub, job.name)
        requests = receiver.wait_for(2)
        for r in requests:
            assert_signed(r)
            assert r.path == "/hook"
            assert r.headers["content-type"] == "application/json"
            assert r.headers["x-computenet-event-id"] == r.json()["id"]
        events = sorted((r.json() for r in requests), key=lambda e: e["time"])
        assert [e["type"] for e in events] == ["job.state_changed"] * 2
        assert [e["job"]["name"] for e in events] == [job.name] * 2
        assert [(e["job"]["previous_state"], e["job"]["state"]) for e in events] == [
            (None, "PENDING"),
            ("PENDING", "CANCELLED"),
        ]
        assert events[0]["id"] != events[1]["id"]
        log = wait_log(stub, 2)
        assert all(d.delivered and d.http_status == 200 and d.attempt == 1 for d in log)
        assert {d.state for d in log} == {pb.Job.STATE_PENDING, pb.Job.STATE_CANCELLED}

    def test_only_wanted_states_of_the_own_tenant_are_delivered(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver
    ) -> None:
        """A webhook filtered to CANCELLED gets only that change, and only of its tenant."""
        create_hook(stub, receiver.url, states=(pb.Job.STATE_CANCELLED,))
        cancel(stub, submit(stub, "theirs", tenant="other").name)
        job = submit(stub, "mine")
        cancel(stub, job.name)
        (request,) = receiver.wait_for(1)
        assert request.json()["job"]["name"] == job.name
        assert request.json()["job"]["state"] == "CANCELLED"
        time.sleep(0.3)  # room for a wrong delivery to arrive
        assert len(receiver.requests) == 1

    @pytest.mark.parametrize("status", [500, 503, 429])
    def test_server_errors_are_retried_until_delivered(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver, status: int
    ) -> None:
        """After two 5xx/429 answers the third attempt delivers; the log lists all three."""
        receiver.fail_next, receiver.fail_status = 2, status
        create_hook(stub, receiver.url)
        submit(stub, "j1")
        requests = receiver.wait_for(3)
        assert len({r.headers["x-computenet-event-id"] for r in requests}) == 1
        assert [r.headers["x-computenet-attempt"] for r in requests] == ["1", "2", "3"]
        for r in requests:
            assert_signed(r)
        log = wait_log(stub, 3)
        assert [d.attempt for d in log] == [3, 2, 1]  # newest first
        assert [d.http_status for d in log] == [200, status, status]
        assert [d.delivered for d in log] == [True, False, False]
        assert log[1].error.startswith(f"HTTP {status}")
        assert log[0].error == ""

    def test_client_errors_are_not_retried(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver
    ) -> None:
        """A 400 answer is final: one attempt, logged as not delivered."""
        receiver.always = 400
        create_hook(stub, receiver.url)
        submit(stub, "j1")
        receiver.wait_for(1)
        (entry,) = wait_log(stub, 1)
        assert (entry.http_status, entry.delivered, entry.attempt) == (400, False, 1)
        assert entry.error.startswith("HTTP 400")
        time.sleep(0.5)  # longer than every backoff of the test config
        assert len(receiver.requests) == 1
        assert len(deliveries(stub)) == 1

    def test_a_hanging_receiver_times_out_and_is_retried(
        self, start: StubFactory, receiver: Receiver
    ) -> None:
        """An attempt without an answer ends at the timeout, is logged with status 0 and is
        retried up to the attempt limit."""
        stub = start(webhook_timeout_seconds=0.3, webhook_max_attempts=2)
        receiver.hang_seconds = 10
        create_hook(stub, receiver.url)
        submit(stub, "j1")
        log = wait_log(stub, 2)
        assert [d.attempt for d in log] == [2, 1]
        assert all(d.http_status == 0 and not d.delivered for d in log)
        assert all("no answer within 0.3 s" in d.error for d in log)
        assert len(receiver.requests) == 2

    def test_an_unreachable_receiver_is_retried_and_logged(
        self, stub: pb_grpc.SchedulerServiceStub
    ) -> None:
        """Connection refused counts as a failed attempt and is retried to the limit."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # closed again on exit: nothing listens there
        create_hook(stub, f"http://127.0.0.1:{port}/hook")
        submit(stub, "j1")
        log = wait_log(stub, 3)
        assert [d.attempt for d in log] == [3, 2, 1]
        assert all(d.http_status == 0 and "ConnectError" in d.error for d in log)

    def test_a_deleted_webhook_stops_receiving(
        self, stub: pb_grpc.SchedulerServiceStub, receiver: Receiver
    ) -> None:
        """After DeleteWebhook no event reaches the URL and its log is gone."""
        create_hook(stub, receiver.url)
        submit(stub, "j1")
        receiver.wait_for(1)
        stub.DeleteWebhook(pb.DeleteWebhookRequest(name="tenants/acme/webhooks/h1"), timeout=5)
        assert listed(stub) == []
        submit(stub, "j2")
        time.sleep(0.3)
        assert len(receiver.requests) == 1
        with pytest.raises(grpc.RpcError) as info:
            deliveries(stub)
        assert info.value.code() is grpc.StatusCode.NOT_FOUND

    def test_a_slow_receiver_never_blocks_placement(
        self, start: StubFactory, receiver: Receiver
    ) -> None:
        """With the one worker hung and the queue full, submissions still answer at once and
        the overflow is dropped with a log row saying so."""
        stub = start(webhook_workers=1, webhook_queue_size=1, webhook_timeout_seconds=5)
        receiver.hang_seconds = 10
        create_hook(stub, receiver.url)
        submit(stub, "j0")
        receiver.wait_for(1)  # the only worker now waits on the receiver
        started = time.monotonic()
        for i in range(1, 6):
            submit(stub, f"j{i}")
        assert time.monotonic() - started < 2.0
        log = wait_log(stub, 4)
        dropped = [d for d in log if "queue is full" in d.error]
        assert len(dropped) == 4  # one waits in the queue, the other four are dropped
        assert all(d.attempt == 1 and not d.delivered and d.http_status == 0 for d in dropped)


class TestWebhookStore:
    def hook(self, hook_id: str = "h1", tenant: str = "acme") -> Webhook:
        return Webhook(tenant, hook_id, "https://example.com/hook", frozenset(), SECRET)

    def attempt(self, uid: str, n: int) -> Delivery:
        return Delivery(uid, "e1", "tenants/acme/jobs/j1", JobState.RUNNING, n, datetime.now(UTC))

    def test_the_index_follows_create_and_delete(self, engine: Engine) -> None:
        """The dispatcher's index gains a webhook (with its secret) on create and loses it on
        delete; reads for the API never carry the secret."""
        store = WebhookStore(engine)
        made = store.create(self.hook())
        assert made.secret == ""
        assert store.get("acme", "h1").secret == ""
        (indexed,) = store.matching("acme", JobState.RUNNING)
        assert indexed.secret == SECRET
        assert store.active(indexed.uid) == indexed
        assert store.matching("other", JobState.RUNNING) == ()
        store.delete("acme", "h1")
        assert store.matching("acme", JobState.RUNNING) == ()
        assert store.active(indexed.uid) is None
        with pytest.raises(NotFound):
            store.get("acme", "h1")

    def test_load_picks_up_other_replicas(self, engine: Engine) -> None:
        """A webhook created through another store on the same database appears after load."""
        mine, theirs = WebhookStore(engine), WebhookStore(engine)
        theirs.create(self.hook())
        assert mine.matching("acme", JobState.FAILED) == ()
        mine.load()
        assert [h.id for h in mine.matching("acme", JobState.FAILED)] == ["h1"]

    def test_the_log_keeps_the_newest_rows(self, engine: Engine) -> None:
        """Writing past the limit prunes the oldest attempts; rows of unknown webhooks are
        skipped."""
        store = WebhookStore(engine, log_limit=3)
        store.create(self.hook())
        (hook,) = store.matching("acme", JobState.RUNNING)
        assert store.record([self.attempt(hook.uid, n) for n in (1, 2)]) == 2
        assert store.record([self.attempt(hook.uid, n) for n in (3, 4, 5)]) == 3
        assert store.record([self.attempt("gone", 6)]) == 0
        page = store.deliveries("acme", "h1", page_size=10)
        assert [d.attempt for d in page.deliveries] == [5, 4, 3]
        assert page.next_seq is None

    def test_a_tenant_has_a_bounded_number_of_webhooks(self, engine: Engine) -> None:
        """Past the per-tenant limit, create is RESOURCE_EXHAUSTED; other tenants are free."""
        store = WebhookStore(engine)
        for i in range(MAX_WEBHOOKS_PER_TENANT):
            store.create(self.hook(f"h{i}"))
        with pytest.raises(ResourceExhausted):
            store.create(self.hook("one-more"))
        store.create(self.hook("h0", tenant="other"))
