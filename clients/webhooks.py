"""Verifying computenet webhook deliveries on the receiving side (standard library only).

Every delivery is a ``POST`` of a JSON body with these headers::

    X-Computenet-Event-Id:  3f0c…            the event; the same on every retry of it
    X-Computenet-Timestamp: 1767225600       Unix seconds when this attempt was signed
    X-Computenet-Signature: sha256=<hex>     HMAC-SHA256(secret, timestamp + "." + body)
    X-Computenet-Attempt:   2                which attempt this is, from 1

Check the signature over the RAW body bytes (before any JSON parsing) and refuse stale
timestamps, which stops an eavesdropper replaying an old delivery::

    from clients.webhooks import verify_signature

    ok = verify_signature(secret, headers["X-Computenet-Timestamp"], raw_body,
                          headers["X-Computenet-Signature"])
    if not ok:
        return 401

Answer 2xx quickly (within the server's timeout, 5 s by default) and do the work later:
a 429 or 5xx answer, a timeout or a refused connection is retried with backoff; any other
answer is final. Because of retries a receiver may see one event more than once (dedupe on
the event id), and events are not guaranteed to arrive in order (order by the body's
``time``).
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "SIGNATURE_PREFIX",
    "TIMESTAMP_HEADER",
    "sign",
    "verify_signature",
]

EVENT_ID_HEADER = "X-Computenet-Event-Id"
"""Header carrying the event id (stable across retries)."""
TIMESTAMP_HEADER = "X-Computenet-Timestamp"
"""Header carrying the Unix time, in whole seconds, at which the attempt was signed."""
SIGNATURE_HEADER = "X-Computenet-Signature"
"""Header carrying ``sha256=<hex digest>``."""
SIGNATURE_PREFIX = "sha256="
"""Scheme prefix of the signature value."""


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def sign(secret: str | bytes, timestamp: str | int, body: str | bytes) -> str:
    """The signature header value for ``body`` signed at ``timestamp`` with ``secret``."""
    message = _bytes(str(timestamp)) + b"." + _bytes(body)
    digest = hmac.new(_bytes(secret), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(
    secret: str | bytes,
    timestamp: str | int,
    body: str | bytes,
    signature_header: str,
    *,
    tolerance_s: float = 300,
    now: float | None = None,
) -> bool:
    """Whether ``signature_header`` signs ``timestamp + "." + body`` with ``secret`` and the
    timestamp lies within ``tolerance_s`` seconds of ``now`` (default: the current time).

    The header may list several comma-separated signatures (e.g. while a secret rotates);
    one match is enough. Digests are compared in constant time.
    """
    try:
        signed_at = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - signed_at) > tolerance_s:
        return False
    expected = sign(secret, signed_at, body)
    matched = False
    for candidate in signature_header.split(","):
        # Compare every candidate (no early exit) so timing says nothing about which matched.
        matched |= hmac.compare_digest(candidate.strip().encode(), expected.encode())
    return matched
