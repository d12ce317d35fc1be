"""MQTT bridge: RFID readers that publish over MQTT to the ingest's tag-read callback.

What it is: ``MqttBridge`` subscribes to the topics the readers publish on
(Impinj IoT device interface MQTT output, e.g. ``rtstock/impinj/<reader>/events``;
Zebra IoT Connector data interface, e.g. ``rtstock/zebra/<reader>/data``),
parses each message with ``ingest_core.rfid.formats`` and hands the tag
reads to ``on_reads(device_key, reads)``. Non-tag events and per-event
errors go to the optional ``on_events`` / ``on_errors`` callbacks.

How it works: one ``TopicRoute`` per topic filter says which vendor format
the messages have and which topic level names the device (default: the
level of the filter's first ``+``, else the whole topic). ``run()`` is an
outer loop that (re)connects with exponential backoff and jitter and
re-subscribes, around an inner loop that handles messages one by one; a
callback may be sync or ``async`` and is awaited before the next message
(backpressure reaches the broker through the client's in-flight window).
``stop()`` wakes the loop; the message in hand is finished, then it exits.

Exactly once, end to end: the bridge subscribes with QoS 1 and acknowledges a
message itself (paho's manual acks), only once ``on_reads`` has returned, i.e.
once the ingest has committed the reads. With a client id the session is
persistent (``clean_session=False``): the broker keeps what arrives while the
ingest is down and sends again every message not acknowledged when it died;
the reads of a message that comes twice are answered duplicate by their keys
and the EPCs' states. An ``on_reads`` that raises (the database away, the
writer overloaded) is counted, logged and called again with a growing pause
until it succeeds or the bridge stops (then the message stays unacknowledged
for the next session): later messages wait, in order, rather than overtake a
failed one. ``on_events`` / ``on_errors`` failures are counted and skipped.

Caveats: mosquitto keeps at most ``max_queued_messages`` (default 1 000) per
offline session: size it for the longest ingest outage. Only plain TCP or TLS
(``tls=True``) to the configured broker is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiomqtt

from ingest_core.rfid.formats import (
    VENDORS,
    ReaderEvent,
    ReadError,
    TagRead,
    parse_payload,
)

_logger = logging.getLogger(__name__)

OnReads = Callable[[str, list[TagRead]], Awaitable[None] | None]
OnEvents = Callable[[str, list[ReaderEvent]], Awaitable[None] | None]
OnErrors = Callable[[str, list[ReadError]], Awaitable[None] | None]


@dataclass(frozen=True)
class TopicRoute:
    """A topic filter, the vendor format of its messages and where the device key is."""

    topic: str  # MQTT filter, e.g. "rtstock/impinj/+/events"
    vendor: str  # one of formats.VENDORS
    device_level: int | None = None  # topic level holding the device key

    def __post_init__(self) -> None:
        if self.vendor not in VENDORS:
            raise ValueError(f"unknown RFID vendor {self.vendor!r}; expected one of {VENDORS}")
        if self.device_level is None:
            levels = self.topic.split("/")
            if "+" in levels:
                object.__setattr__(self, "device_level", levels.index("+"))

    def device_key(self, topic: str) -> str:
        if self.device_level is None:
            return topic
        levels = topic.split("/")
        return levels[self.device_level] if self.device_level < len(levels) else topic


@dataclass(frozen=True)
class BridgeSettings:
    routes: Sequence[TopicRoute]
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str | None = None
    username: str | None = None
    password: str | None = None
    tls: bool = False
    qos: int = 1
    keepalive: int = 30
    backoff_min: float = 0.5
    backoff_max: float = 30.0


@dataclass
class BridgeStats:
    connects: int = 0
    messages: int = 0
    reads: int = 0
    events: int = 0
    errors: int = 0
    callback_failures: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class MqttBridge:
    """Subscribe, parse, hand over (see module docstring)."""

    def __init__(
        self,
        settings: BridgeSettings,
        on_reads: OnReads,
        on_events: OnEvents | None = None,
        on_errors: OnErrors | None = None,
    ) -> None:
        if not settings.routes:
            raise ValueError("MqttBridge needs at least one TopicRoute")
        self.settings = settings
        self.stats = BridgeStats()
        self.subscribed = asyncio.Event()  # set while connected and subscribed
        self._on_reads = on_reads
        self._on_events = on_events
        self._on_errors = on_errors
        self._stop = asyncio.Event()
        self._in_hand: asyncio.Task | None = None

    def stop(self) -> None:
        """Ask ``run`` to finish the message in hand and return."""
        self._stop.set()

    async def run(self) -> None:
        """Outer loop: connect, subscribe, consume; on a broker error back off and retry."""
        delay = self.settings.backoff_min
        while not self._stop.is_set():
            try:
                async with self._client() as client:
                    for route in self.settings.routes:
                        await client.subscribe(route.topic, qos=self.settings.qos)
                    self.stats.connects += 1
                    self.subscribed.set()
                    delay = self.settings.backoff_min
                    _logger.info(
                        "mqtt bridge connected to %s:%s", self.settings.host, self.settings.port
                    )
                    await self._consume_until_stopped(client)
            except aiomqtt.MqttError as exc:
                self.subscribed.clear()
                if self._stop.is_set():
                    break
                _logger.warning("mqtt bridge: %s; reconnecting in %.1fs", exc, delay)
                await self._sleep(delay * (0.5 + random.random()))  # jitter, not crypto
                delay = min(delay * 2, self.settings.backoff_max)
            finally:
                self.subscribed.clear()

    def _client(self) -> aiomqtt.Client:
        settings = self.settings
        client = aiomqtt.Client(
            settings.host,
            settings.port,
            username=settings.username,
            password=settings.password,
            identifier=settings.client_id,
            clean_session=False if settings.client_id else None,
            keepalive=settings.keepalive,
            tls_params=aiomqtt.TLSParameters() if settings.tls else None,
        )
        # aiomqtt does not expose paho's manual acknowledgement: set it on its paho client,
        # or paho acknowledges each message on receipt, before its reads are committed.
        client._client.manual_ack_set(True)
        return client

    async def _consume_until_stopped(self, client: aiomqtt.Client) -> None:
        consumer = asyncio.create_task(self._consume(client))
        stopper = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({consumer, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            if not consumer.done():
                consumer.cancel()
            try:
                await consumer  # re-raises MqttError when the connection broke
            except asyncio.CancelledError:
                if not self._stop.is_set():
                    raise
            if self._in_hand is not None:
                await self._in_hand  # finish the message in hand before leaving

    async def _consume(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            # Shielded: a stop cancels the wait for the next message, not this handling.
            self._in_hand = asyncio.ensure_future(self.handle(str(message.topic), message.payload))
            delivered = await asyncio.shield(self._in_hand)
            self._in_hand = None
            if delivered and message.qos > 0:
                client._client.ack(message.mid, message.qos)  # paho client: see _client
            if not delivered:
                return  # stopping: the message stays unacknowledged for the next session

    async def handle(self, topic: str, payload: bytes | bytearray | str) -> bool:
        """Parse one message of ``topic`` and call the callbacks (public for tests/tools);
        False when the bridge stopped before ``on_reads`` took the message's reads."""
        route = self._route(topic)
        self.stats.messages += 1
        if route is None:
            _logger.warning("mqtt bridge: message on unrouted topic %s dropped", topic)
            return True
        device_key = route.device_key(topic)
        if isinstance(payload, str):
            payload = payload.encode()
        parsed = parse_payload(bytes(payload), route.vendor)
        self.stats.reads += len(parsed.reads)
        self.stats.events += len(parsed.events)
        self.stats.errors += len(parsed.errors)
        for kind, count in parsed.event_counts().items():
            self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + count
        if parsed.reads and not await self._deliver(device_key, parsed.reads):
            return False
        if parsed.events and self._on_events is not None:
            await self._call(self._on_events, device_key, parsed.events)
        if parsed.errors:
            _logger.info("mqtt bridge: %d bad events from %s", len(parsed.errors), device_key)
            if self._on_errors is not None:
                await self._call(self._on_errors, device_key, parsed.errors)
        return True

    async def _deliver(self, device_key: str, reads: list[TagRead]) -> bool:
        """``on_reads`` until it succeeds (True) or the bridge stops (False)."""
        delay = self.settings.backoff_min
        while True:
            if await self._call(self._on_reads, device_key, reads):
                return True
            if self._stop.is_set():
                return False
            await self._sleep(delay * (0.5 + random.random()))  # jitter, not crypto
            delay = min(delay * 2, self.settings.backoff_max)

    def _route(self, topic: str) -> TopicRoute | None:
        for route in self.settings.routes:
            if aiomqtt.Topic(topic).matches(route.topic):
                return route
        return None

    async def _call(self, callback, device_key: str, items: list) -> bool:
        try:
            outcome = callback(device_key, items)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:  # a bad callback must not stop the bridge; it is logged and counted
            self.stats.callback_failures += 1
            _logger.exception("mqtt bridge: callback failed for %s", device_key)
            return False
        return True

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
