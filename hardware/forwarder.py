"""Forward queued reads to the ingest (``POST /v1/reads``; an LLRP reader's tags to
``POST /v1/rfid/speedway``) until each is acked.

What it is: the only consumer of :class:`hardware.queue.DurableQueue`. It
sends the oldest reads in batches, and acks exactly the keys the ingest
answered 200 for: ``applied``, ``duplicate`` and ``rejected`` all mean "the
ingest has it" (rejected reads are in the ingest's quarantine and are logged
here); a key missing from the answer stays queued and is sent again.

How it works: one batch in flight at a time, oldest first, so a replay after
an outage arrives in order; reads of different devices in one batch are
posted separately, each with its device's Bearer token. Failures back off
exponentially with jitter (``base * 2**n``, capped, times a random factor in
[0.5, 1]) so that a store chain coming back online does not hit the ingest in
lock-step. ``429``/``503`` with ``Retry-After`` (seconds or HTTP date) are
obeyed to the second. ``413`` halves the batch; ``422`` halves it down to one
read, which is then logged and retried with back-off (it stays queued: only
an ack removes a read). TLS certificates are verified unless the
configuration says otherwise (``verify = false`` is logged as a warning; a
path means "this CA bundle").

Tag reads of an LLRP reader (``op = "rfid"``, see :mod:`hardware.llrp_reader`) go to
the ingest's RFID stage as a Speedway Connect post (``{"reader_name", "tag_reads":
[{"epc", "antennaPort", "firstSeenTimestamp"}]}``), the form Impinj's own LLRP client
on the reader posts, so the device's role decides what they do. That answer has
totals, not keys: a 200 acks every read of the post; resending it after a lost answer
is harmless, because the ingest moves an EPC only from the states its movement starts
from and a count holds each EPC once. ``409`` (a count reader with no open session)
keeps the reads queued until a session is opened.

Caveats: exactly-once rests on the ingest's per-device key uniqueness; the
forwarder itself is at-least-once (a batch whose answer is lost is resent and
comes back ``duplicate``). Waits use the stop event, so a stop request ends a
back-off at once but never interrupts a request in flight: the batch in hand
is finished and acked first.
"""

from __future__ import annotations

import email.utils
import logging
import random
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

if "httpx" not in sys.modules:
    # httpx imports its own command-line client (click, rich, pygments: ~6 MB resident) when
    # those are installed. The agent never runs it and has a 50 MB budget: make that optional
    # import fail, which httpx handles by installing a stub ``httpx.main``.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # after the guard above, on purpose

from hardware.queue import DurableQueue
from hardware.reads import RFID_OP, QueuedRead

_logger = logging.getLogger(__name__)

#: Answers that end a read's journey: "training" is a read of a device in training,
#: logged by the ingest and never applied (docs/decisions/training-mode.md).
DELIVERED = frozenset({"applied", "duplicate", "rejected", "training"})
MAX_RETRY_AFTER_S = 3600.0


@dataclass
class ForwarderStats:
    """What the status endpoint and the periodic log line show."""

    sent_batches: int = 0
    acked: int = 0
    applied: int = 0
    duplicate: int = 0
    rejected: int = 0
    training: int = 0
    consecutive_failures: int = 0
    last_ack_at: float | None = None
    last_error: str | None = None
    next_attempt_at: float | None = None


class _Retry(Exception):
    """Internal: the batch must be retried after ``delay`` seconds."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return min(max(when - (time.time() if now is None else now), 0.0), MAX_RETRY_AFTER_S)


def tls_verify_setting(verify: bool | str) -> bool | ssl.SSLContext:
    """httpx ``verify=`` from the config: True, False (warned) or a CA bundle path."""
    if verify is False:
        _logger.warning("TLS certificate verification is OFF for the ingest connection")
        return False
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return True


class Forwarder:
    """Sends queued reads in batches; see the module docstring for the rules."""

    def __init__(
        self,
        queue: DurableQueue,
        url: str,
        token_for_device: Callable[[str], str],
        *,
        verify: bool | str = True,
        batch_size: int = 200,
        timeout_s: float = 10.0,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 60.0,
        idle_poll_s: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        self.queue = queue
        self.endpoint = url.rstrip("/") + "/v1/reads"
        self.rfid_endpoint = url.rstrip("/") + "/v1/rfid/speedway"
        self._token_for_device = token_for_device
        self._verify = tls_verify_setting(verify)
        self._timeout_s = timeout_s
        self.max_batch = batch_size
        self.batch_size = batch_size
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.idle_poll_s = idle_poll_s
        self._rng = rng or random.Random()
        self.stats = ForwarderStats()
        self._client: httpx.Client | None = None

    # -- loops ---------------------------------------------------------------------------

    def run(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
        """Outer loop: forward until ``stop``; any failure is logged and backed off."""
        while not stop.is_set():
            try:
                sent = self.forward_once()
            except _Retry as retry:
                self._fail(str(retry))
                delay = retry.delay if retry.delay is not None else self.backoff_delay()
                self.stats.next_attempt_at = time.time() + delay
                stop.wait(delay)
                continue
            except Exception as exc:  # the outer loop must survive anything
                _logger.exception("forwarder: unexpected error; recreating the HTTP client")
                self._fail(f"unexpected: {exc!r}")
                self.close()
                stop.wait(self.backoff_delay())
                continue
            self.stats.next_attempt_at = None
            if sent == 0:
                # Nothing queued: sleep until the intake says there is, or poll.
                if wake is not None:
                    wake.wait(self.idle_poll_s)
                    wake.clear()
                else:
                    stop.wait(self.idle_poll_s)
        self.close()

    def forward_once(self) -> int:
        """Send one batch (the oldest reads); return how many reads were acked."""
        batch = self.queue.peek_batch(self.batch_size)
        if not batch:
            return 0
        by_device: dict[str, list[QueuedRead]] = {}
        for read in batch:
            by_device.setdefault(read.device, []).append(read)
        acked = 0
        for device, reads in by_device.items():
            tags = [read for read in reads if read.op == RFID_OP]
            if tags:
                acked += self._post_tags(device, tags)
            if len(tags) < len(reads):
                acked += self._post(device, [read for read in reads if read.op != RFID_OP])
        return acked

    def backoff_delay(self) -> float:
        """Exponential back-off with jitter for the current failure count."""
        exponent = min(self.stats.consecutive_failures, 30)
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2**exponent))
        return ceiling * self._rng.uniform(0.5, 1.0)

    def close(self) -> None:
        """Close the HTTP connection pool (it is recreated on the next request)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- one request ---------------------------------------------------------------------

    def _send(self, url: str, device: str, body: dict) -> httpx.Response:
        """One POST with the device's token; no answer at all is a retry."""
        if self._client is None:
            self._client = httpx.Client(verify=self._verify, timeout=self._timeout_s)
        try:
            response = self._client.post(
                url, json=body,
                headers={"Authorization": f"Bearer {self._token_for_device(device)}"})
        except httpx.HTTPError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc or 'no detail'}") from exc
        self.stats.sent_batches += 1
        status = response.status_code
        if status in (429, 503):
            delay = parse_retry_after(response.headers.get("Retry-After"))
            raise _Retry(f"ingest busy ({status}), retry after {delay}s", delay)
        return response

    def _halve(self, status: int, reads: list[QueuedRead]) -> None:
        self.batch_size = max(1, min(self.batch_size, len(reads)) // 2)
        raise _Retry(f"ingest answered {status}; batch size now {self.batch_size}", 0.0)

    def _acked(self, keys: list[str]) -> int:
        """Remove the answered reads; the link is healthy again."""
        removed = self.queue.ack(keys)
        self.stats.acked += removed
        self.stats.last_ack_at = time.time()
        self.stats.consecutive_failures = 0
        self.stats.last_error = None
        self.batch_size = min(self.max_batch, self.batch_size * 2)
        return removed

    def _post(self, device: str, reads: list[QueuedRead]) -> int:
        response = self._send(self.endpoint, device,
                              {"reads": [read.to_contract() for read in reads]})
        status = response.status_code
        if status == 200:
            return self._handle_results(device, reads, response)
        if status == 413 or (status == 422 and len(reads) > 1):
            self._halve(status, reads)
        if status == 422:
            raise _Retry(f"ingest refuses read {reads[0].key} as malformed: {response.text[:300]}")
        if status in (401, 403):
            raise _Retry(f"ingest refuses the token of device {device} ({status})")
        raise _Retry(f"ingest answered {status}: {response.text[:300]}")

    def _post_tags(self, device: str, reads: list[QueuedRead]) -> int:
        response = self._send(self.rfid_endpoint, device, {
            "reader_name": device, "tag_reads": [
                {"epc": read.code, "antennaPort": read.location, "firstSeenTimestamp": read.ts}
                for read in reads]})
        status = response.status_code
        if status == 413 and len(reads) > 1:
            self._halve(status, reads)
        if status != 200:
            raise _Retry(f"ingest refuses the tags of {device} ({status}): "
                         f"{response.text[:300]}")
        try:
            totals = response.json()
        except ValueError as exc:
            raise _Retry(f"ingest answered 200 with an unreadable body: {exc!r}") from exc
        for outcome in ("applied", "duplicate", "rejected", "training"):
            value = totals.get(outcome)
            if isinstance(value, int):
                setattr(self.stats, outcome, getattr(self.stats, outcome) + value)
        return self._acked([read.key for read in reads])

    def _handle_results(self, device: str, reads: list[QueuedRead], response) -> int:
        try:
            results = response.json()["results"]
            answered = {item["key"]: item for item in results}
        except (ValueError, KeyError, TypeError) as exc:
            raise _Retry(f"ingest answered 200 with an unreadable body: {exc!r}") from exc
        sent_keys = {read.key for read in reads}
        delivered = [
            key
            for key, item in answered.items()
            if key in sent_keys and item.get("status") in DELIVERED
        ]
        for key in delivered:
            status = answered[key]["status"]
            if status == "rejected":
                _logger.warning(
                    "ingest rejected read %s of %s: %s",
                    key,
                    device,
                    answered[key].get("reason"),
                )
            setattr(self.stats, status, getattr(self.stats, status) + 1)
        missing = len(reads) - len(delivered)
        if missing:
            _logger.warning(
                "ingest did not answer for %d read(s) of %s; resending", missing, device
            )
        return self._acked(delivered)

    def _fail(self, message: str) -> None:
        self.stats.consecutive_failures += 1
        if message != self.stats.last_error:
            _logger.warning("forwarder: %s", message)
        self.stats.last_error = message
