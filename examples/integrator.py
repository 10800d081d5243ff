"""An integrator's webhook round trip: run a small HTTP receiver, register it as a computenet
webhook, submit a job, receive the signed event and verify it, list the deliveries, clean up.

    python examples/integrator.py --address 127.0.0.1:50051 [--token cn_…] [--tenant acme]

The receiver listens on 127.0.0.1 (a free port), which a server on the same machine reaches,
as ``computenet serve --demo`` does. For a remote server, listen on an address it can reach
(``--listen 0.0.0.0``) and give the URL it should call (``--public-url``).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import secrets
import sys
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clients import (
    DEFAULT_ADDRESS,
    ApiError,
    Client,
    JobKind,
    JobSpec,
    ReplicaSpec,
    Webhook,
    WebhookDelivery,
)
from clients.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)

__all__ = ["Receiver", "main", "parse_args"]

WAIT_SECONDS = 20.0
"""How long to wait for the event and its delivery record."""


class Receiver(ThreadingHTTPServer):
    """An HTTP server that accepts computenet deliveries signed with ``secret`` and queues
    their events; anything unsigned or stale is answered 401 and dropped."""

    def __init__(self, address: tuple[str, int], secret: str) -> None:
        super().__init__(address, _Handler)
        self.secret = secret
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.rejected = 0


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)  # the raw bytes: the signature covers exactly these
        ok = verify_signature(
            self.server.secret,
            self.headers.get(TIMESTAMP_HEADER, ""),
            body,
            self.headers.get(SIGNATURE_HEADER, ""),
        )
        if not ok:
            self.server.rejected += 1
            self.send_response(401)
            self.end_headers()
            return
        # Answer first and fast; a real receiver would hand the event to a queue or a task.
        self.send_response(204)
        self.end_headers()
        event = json.loads(body)
        event["_headers"] = {k: v for k, v in self.headers.items() if k.startswith("X-")}
        self.server.events.put(event)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the script prints what matters."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; the connection options also have ``COMPUTENET_*`` variables."""
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
    parser.add_argument("--listen", default="127.0.0.1", help="address the receiver binds to")
    parser.add_argument(
        "--public-url", default="", help="URL the server should POST to (default: the receiver's)"
    )
    return parser.parse_args(argv)


def wait_for_event(receiver: Receiver, job_name: str) -> dict[str, Any]:
    """The first verified event about ``job_name``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = receiver.events.get(timeout=left)
        except queue.Empty:
            break
        if event["job"]["name"] == job_name:
            return event
    raise TimeoutError(f"no event about {job_name} within {WAIT_SECONDS:g} s")


def wait_for_delivery(client: Client, webhook: str) -> list[WebhookDelivery]:
    """The webhook's delivery log once it records a delivered attempt (the log row is
    written after the receiver answers, so it may lag the event by a moment)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        deliveries = list(client.list_webhook_deliveries(webhook))
        if any(d.delivered for d in deliveries) or time.monotonic() > deadline:
            return deliveries
        time.sleep(0.1)


def main(argv: Sequence[str] | None = None) -> int:
    """Receive, verify and list one job event; 0 when it arrived signed and was delivered."""
    args = parse_args(argv)
    secret = secrets.token_urlsafe(32)
    receiver = Receiver((args.listen, 0), secret)
    threading.Thread(target=receiver.serve_forever, name="receiver", daemon=True).start()
    url = args.public_url or f"http://{args.listen}:{receiver.server_address[1]}/computenet"
    print(f"receiver: listening on {url}")
    webhook_id = f"example-{secrets.token_hex(4)}"
    delivered = False
    try:
        with Client(args.address, token=args.token, tenant=args.tenant) as client:
            hook = client.create_webhook(webhook_id, Webhook(url=url, secret=secret))
            print(f"registered: {hook.name} -> {hook.url} (every state)")
            try:
                job = client.submit_job(
                    JobSpec(
                        kind=JobKind.INFERENCE,
                        replicas=1,
                        replica=ReplicaSpec(accelerator_milli=250, cpu_milli=2000, memory_mib=8192),
                        user_region="regions/fujian-fuzhou",
                        max_rtt_ms=10,
                        expected_duration=timedelta(minutes=30),
                        labels={"example": "integrator"},
                    )
                )
                print(f"submitted: {job.name} is {job.state.name}")
                event = wait_for_event(receiver, job.name)
                headers = event.pop("_headers")
                print(
                    f"received: event {headers.get(EVENT_ID_HEADER)} ({event['type']}), "
                    f"attempt {headers.get('X-Computenet-Attempt')}, signature verified"
                )
                about = event["job"]
                print(
                    f"  {about['name']}: {about['previous_state'] or 'submitted'} -> "
                    f"{about['state']} in {about['data_center'] or 'no data center yet'}"
                )
                deliveries = wait_for_delivery(client, hook.name)
                print(f"deliveries of {hook.name}, newest first:")
                for d in deliveries:
                    print(
                        f"  {d.attempt_time:%H:%M:%S} {d.job} {d.state.name} attempt {d.attempt}: "
                        f"HTTP {d.http_status} delivered={d.delivered} {d.error}"
                    )
                delivered = any(d.delivered for d in deliveries)
                client.cancel_job(job.name, reason="examples/integrator.py is done")
            finally:
                client.delete_webhook(hook.name)
                print(f"deleted: {hook.name}")
    except (ApiError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        receiver.shutdown()
        receiver.server_close()
    if receiver.rejected:
        print(f"error: {receiver.rejected} deliveries failed the signature check", file=sys.stderr)
        return 1
    return 0 if delivered else 1


if __name__ == "__main__":
    sys.exit(main())
