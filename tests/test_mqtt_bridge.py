"""MQTT bridge against a real mosquitto broker on a loopback port started by the test."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import aiomqtt
import pytest

from ingest_core.api.mqtt_bridge import BridgeSettings, MqttBridge, TopicRoute

pytestmark = [pytest.mark.mqtt, pytest.mark.timeout(60)]

DATA = Path(__file__).parent / "data" / "rfid"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
EPC_1 = "3034F4E4E40C0E40000003E9"
ROUTES = (
    TopicRoute("rtstock/impinj/+/events", "impinj"),
    TopicRoute("rtstock/zebra/+/data", "zebra"),
)


class Broker:
    """A throwaway mosquitto listening on 127.0.0.1 only."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest stderr\n"
        )
        self.log = directory / "mosquitto.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the broker (the fixture has; a second call would orphan the first process:
        the new one cannot bind the port and the probe reaches the old one)."""
        if self.process is not None and self.process.poll() is None:
            return
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def broker(tmp_path):
    if not Path(MOSQUITTO).exists():
        pytest.skip(
            "MQTT TESTS SKIPPED: mosquitto not installed "
            "(apt-get update && apt-get install -y mosquitto)"
        )
    server = Broker(tmp_path)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"MQTT TESTS SKIPPED: mosquitto could not be started: {exc}")
    yield server
    server.stop()


class Collector:
    def __init__(self) -> None:
        self.reads: list[tuple[str, list]] = []
        self.events: list[tuple[str, list]] = []
        self.errors: list[tuple[str, list]] = []
        self.changed = asyncio.Event()

    async def on_reads(self, device_key, reads):  # async callback
        self.reads.append((device_key, reads))
        self.changed.set()

    def on_events(self, device_key, events):  # sync callback
        self.events.append((device_key, events))
        self.changed.set()

    def on_errors(self, device_key, errors):
        self.errors.append((device_key, errors))
        self.changed.set()

    async def wait_for(self, predicate, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


def _bridge(broker: Broker, collector: Collector) -> MqttBridge:
    settings = BridgeSettings(ROUTES, port=broker.port, backoff_min=0.1, backoff_max=0.5)
    return MqttBridge(settings, collector.on_reads, collector.on_events, collector.on_errors)


async def _publish(port: int, topic: str, payload: bytes) -> None:
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.publish(topic, payload, qos=1)


async def _with_bridge(broker, scenario):
    collector = Collector()
    bridge = _bridge(broker, collector)
    runner = asyncio.create_task(bridge.run())
    try:
        async with asyncio.timeout(10):
            await bridge.subscribed.wait()
        await scenario(bridge, collector)
    finally:
        bridge.stop()
        async with asyncio.timeout(10):
            await runner
    return bridge, collector


def test_impinj_and_zebra_messages_reach_callbacks(broker):
    """Impinj events and Zebra data over a real broker become TagReads per device key."""

    async def scenario(bridge, collector):
        await _publish(
            broker.port,
            "rtstock/impinj/r700-dock/events",
            (DATA / "impinj_stream.ndjson").read_bytes(),
        )
        await _publish(
            broker.port,
            "rtstock/zebra/fx9600-floor/data",
            (DATA / "zebra_batch_data_list.json").read_bytes(),
        )
        await collector.wait_for(lambda: len(collector.reads) == 2 and collector.events)

    bridge, collector = asyncio.run(_with_bridge(broker, scenario))
    by_device = {device: reads for device, reads in collector.reads}
    assert set(by_device) == {"r700-dock", "fx9600-floor"}, "device key from the topic's + level"
    assert by_device["r700-dock"][0].epc == EPC_1
    assert len(by_device["r700-dock"]) == 3 and len(by_device["fx9600-floor"]) == 3
    assert [kind.kind for kind in collector.events[0][1]] == [
        "antennaConnectivity",
        "inventoryStatus",
        "overflow",
        "diagnostic",
    ], "non-tag events reach on_events, not on_reads"
    assert bridge.stats.reads == 6 and bridge.stats.events == 4 and bridge.stats.errors == 0


def test_bad_payloads_and_failing_callback_do_not_stop_the_bridge(broker):
    """Errors go to on_errors; a raising on_reads is counted and called again with the same
    message (nothing acknowledged is lost); later messages follow in order."""
    calls = []

    async def scenario(bridge, collector):
        original = bridge._on_reads

        def explode(device_key, reads):
            calls.append(device_key)
            if len(calls) == 1:
                raise RuntimeError("downstream broken")
            return original(device_key, reads)

        bridge._on_reads = explode
        await _publish(broker.port, "rtstock/zebra/fx-1/data", b"{not json")
        await _publish(
            broker.port, "rtstock/zebra/fx-1/data", (DATA / "zebra_simple.json").read_bytes()
        )
        await _publish(
            broker.port, "rtstock/zebra/fx-1/data", (DATA / "zebra_with_errors.json").read_bytes()
        )
        await collector.wait_for(lambda: len(collector.reads) == 2 and len(collector.errors) == 2)

    bridge, collector = asyncio.run(_with_bridge(broker, scenario))
    assert [error.reason for error in collector.errors[0][1]] == ["bad_json"]
    assert len(collector.errors[1][1]) == 5, "per-event errors of the mixed batch"
    assert bridge.stats.callback_failures == 1
    assert calls == ["fx-1"] * 3, "the failed message again, then the next one"
    assert [read.epc for read in collector.reads[0][1]] == [EPC_1], "the failed message"
    assert [read.epc for read in collector.reads[1][1]] == [EPC_1, "3034257BF7194E4000001A85"]


def test_bridge_reconnects_after_broker_restart(broker):
    """When the broker goes away and comes back, the bridge re-subscribes and carries on."""

    async def scenario(bridge, collector):
        await _publish(
            broker.port,
            "rtstock/impinj/r1/events",
            (DATA / "impinj_tag_inventory.json").read_bytes(),
        )
        await collector.wait_for(lambda: len(collector.reads) == 1)
        broker.stop()
        async with asyncio.timeout(10):
            while bridge.subscribed.is_set():
                await asyncio.sleep(0.05)
        broker.start()
        async with asyncio.timeout(15):
            await bridge.subscribed.wait()
        payload = json.dumps({"tagInventoryEvent": {"epcHex": EPC_1, "antennaPort": 2}}).encode()
        await _publish(broker.port, "rtstock/impinj/r1/events", payload)
        await collector.wait_for(lambda: len(collector.reads) == 2)

    bridge, collector = asyncio.run(_with_bridge(broker, scenario))
    assert bridge.stats.connects >= 2, "a second connection was made"
    assert collector.reads[1][1][0].antenna == 2


def test_stop_returns_promptly_when_idle(broker):
    """stop() ends run() quickly even when no message arrives."""

    async def scenario(bridge, collector):
        await asyncio.sleep(0.1)

    started = time.monotonic()
    asyncio.run(_with_bridge(broker, scenario))
    assert time.monotonic() - started < 5


def test_topic_routes():
    """Device key defaults to the first + level; explicit levels and plain topics work."""
    route = TopicRoute("rtstock/impinj/+/events", "impinj")
    assert route.device_key("rtstock/impinj/r700-1/events") == "r700-1"
    assert TopicRoute("site/dock/tags", "zebra").device_key("site/dock/tags") == "site/dock/tags"
    assert TopicRoute("a/#", "zebra", device_level=1).device_key("a/fx9/data") == "fx9"
    with pytest.raises(ValueError):
        TopicRoute("a/b", "acme")
