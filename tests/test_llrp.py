"""Direct LLRP: the store agent drives a reader through sllurp, the project's LLRP 1.1
reader emulator plays the reader on loopback, the real ingest moves the stock."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest
from support.agent_process import AgentProcess, wait_for

from hardware.config import ConfigError, parse_config
from hardware.llrp_reader import reads_of
from hardware.simulators import catalog
from hardware.simulators.llrp_emulator import (
    ERROR_MESSAGE,
    GET_READER_CAPABILITIES,
    LlrpReaderEmulator,
    message,
    parameters,
)
from tests.support.ingest import IngestProcess, create_device, on_hand, query

sllurp_llrp = pytest.importorskip("sllurp.llrp", reason="sllurp (extra [rfid]) not installed")

S01_STOCK = 18


def _epcs(product_id: int, first_serial: int, count: int) -> list[str]:
    return [catalog.sgtin96(product_id - 2, first_serial + n) for n in range(count)]


def _sllurp_session(port: int, antennas: list[int], until, timeout: float = 20.0):
    """Tag reports a plain sllurp client receives until ``until(reports)`` holds."""
    reports: list[dict] = []
    lock = threading.Lock()

    def on_tags(_reader, tags):
        with lock:
            reports.extend(tags)

    config = sllurp_llrp.LLRPReaderConfig({
        "antennas": antennas, "report_every_n_tags": 25,
        "tag_content_selector": {"EnableROSpecID": False, "EnableSpecIndex": False,
                                 "EnableInventoryParameterSpecID": False,
                                 "EnableAntennaID": True, "EnableChannelIndex": False,
                                 "EnablePeakRSSI": True, "EnableFirstSeenTimestamp": True,
                                 "EnableLastSeenTimestamp": True, "EnableTagSeenCount": True,
                                 "EnableAccessSpecID": False}})
    client = sllurp_llrp.LLRPReaderClient("127.0.0.1", port, config)
    client.add_tag_report_callback(on_tags)
    client.connect()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until(reports):
            time.sleep(0.05)
    finally:
        client.disconnect(timeout=5)
        client.hard_disconnect()
    return reports


def test_sllurp_inventories_the_emulated_reader():
    """sllurp connects, configures and starts an inventory on the emulator; each tag comes
    back once per round, with the antennas the ROSpec asked for, the fields of LLRP's
    TagReportData, and a 128-bit EPC (EPCData) beside the 96-bit ones (EPC-96)."""
    tags = [*_epcs(120, 1, 60), "E280116060000209A5B2C1D4E5F60718"]
    with LlrpReaderEmulator(tags, rounds=3, tags_per_s=5000) as reader:
        reports = _sllurp_session(reader.port, [1, 2], lambda seen: len(seen) >= 3 * len(tags))
        asked = list(reader.messages)
    assert len(reports) == 3 * len(tags)
    epcs = [(r["EPC"].decode() if isinstance(r["EPC"], bytes) else r["EPC"]).upper()
            for r in reports]
    assert sorted(set(epcs)) == sorted(tags) and all(epcs.count(t) == 3 for t in tags)
    assert {r["AntennaID"] for r in reports} <= {1, 2}
    sample = reports[0]
    assert sample["TagSeenCount"] >= 1 and -75 <= sample["PeakRSSI"] <= -35
    assert sample["FirstSeenTimestampUTC"] <= sample["LastSeenTimestampUTC"]
    assert abs(sample["LastSeenTimestampUTC"] / 1e6 - time.time()) < 60
    assert asked[:2] == [GET_READER_CAPABILITIES, 2], asked  # capabilities, then config
    assert {20, 24} <= set(asked), "ADD_ROSPEC and ENABLE_ROSPEC"


def test_emulator_answers_an_unknown_message_with_an_error_message():
    """A message type the reader does not know gets ERROR_MESSAGE naming the type."""
    with LlrpReaderEmulator([]) as reader, socket.create_connection(
            ("127.0.0.1", reader.port), timeout=5) as connection:
        connection.sendall(message(999, b"", 77))
        received = b""
        while True:
            received += connection.recv(4096)
            answers = []
            position = 0
            while len(received) - position >= 10:
                kind, length, message_id = struct.unpack_from("!HII", received, position)
                if len(received) - position < length:
                    break
                answers.append((kind & 0x3FF, message_id,
                                received[position + 10:position + length]))
                position += length
            if len(answers) == 2:
                break
    assert answers[0][0] == 63, "a reader greets with READER_EVENT_NOTIFICATION"
    kind, message_id, body = answers[1]
    assert (kind, message_id) == (ERROR_MESSAGE, 77)
    (status_type, value), = parameters(body)
    assert status_type == 287 and struct.unpack_from("!H", value)[0] == 108
    assert b"message type 999" in value


def test_agent_config_takes_llrp_readers():
    config = parse_config({"devices": [{"name": "S01-EXIT-1", "kind": "llrp",
                                        "port": "127.0.0.1:5084"}]})
    assert config.devices[0].kind == "llrp"
    with pytest.raises(ConfigError, match="host or host:port"):
        parse_config({"devices": [{"name": "R", "kind": "llrp", "port": "reader:llrp"}]})


def test_tag_reports_become_rfid_reads():
    """sllurp's tag dicts (bytes EPC, µs times) become the agent's reads: upper-case hex,
    antenna, the reader's first-seen time; a report without an EPC gives nothing."""
    reads = reads_of("S01-EXIT-1", [
        {"EPC-96": b"3034f4e4e400014000000451", "EPC": b"3034f4e4e400014000000451",
         "AntennaID": 2, "FirstSeenTimestampUTC": 1_796_643_624_440_558,
         "LastSeenTimestampUTC": 1_796_643_624_443_558, "TagSeenCount": 3},
        {"AntennaID": 1}])
    assert len(reads) == 1
    read = reads[0]
    assert (read.code, read.location, read.qty, read.op) == (
        "3034F4E4E400014000000451", 2, 3, "rfid")
    assert read.ts == "2026-12-07T11:40:24.440558Z"


@pytest.fixture(scope="module")
def ingest(module_db):
    with IngestProcess(module_db) as process:
        yield process


def test_agent_reads_n_tags_over_llrp_and_the_ingest_receives_exactly_n(
        tmp_path, ingest, module_db):
    """The agent drives the emulated dock reader through sllurp; 3 rounds of 150 tags
    (450 tag reports) reach the ingest, which receives exactly 150 units, one per EPC."""
    _id, token = create_device(module_db, name="S01-DOCK-LLRP", kind="rfid_fixed",
                               rfid_role="dock")
    product = 121
    tags = _epcs(product, 500, 150)
    before = on_hand(module_db, product, S01_STOCK)
    with LlrpReaderEmulator(tags, rounds=3, tags_per_s=1500) as reader:
        device = {"name": "S01-DOCK-LLRP", "kind": "llrp", "port": f"127.0.0.1:{reader.port}"}
        agent = AgentProcess(tmp_path, ingest.url, token, [device], batch_size=100).start()
        try:
            wait_for(lambda: reader.reported == 3 * len(tags), 30,
                     f"the reader reported 3 rounds\n{agent.log()}")
            wait_for(lambda: agent.status()["forwarder"]["acked"] == 3 * len(tags), 30,
                     f"every tag read acked\n{agent.log()}")
            state = agent.status()
            assert state["devices"]["S01-DOCK-LLRP"]["reads"] == 3 * len(tags)
            assert state["devices"]["S01-DOCK-LLRP"]["connected"] is True
            assert state["queue"]["depth"] == 0
            assert state["forwarder"]["applied"] == len(tags), state["forwarder"]
            assert agent.terminate() == 0, agent.log()
        finally:
            if agent.process.poll() is None:
                agent.kill()
    assert on_hand(module_db, product, S01_STOCK) == before + len(tags)
    assert query(module_db, "SELECT state, count(*) FROM rrs_epc WHERE epc = ANY(%s) "
                            "GROUP BY state", (tags,)) == [("received", len(tags))]
    assert query(module_db, "SELECT count(*) FROM rrs_event WHERE read_key = ANY(%s)",
                 ([f"epc:{tag}:receipt" for tag in tags],)) == [(len(tags),)]


def test_agent_reconnects_to_a_reader_that_was_away(tmp_path, ingest, module_db):
    """A reader that is not up yet (or rebooted) is retried: once it listens, its tags
    flow; the status shows the reader's connection."""
    _id, token = create_device(module_db, name="S01-EXIT-LLRP", kind="rfid_fixed",
                               rfid_role="exit")
    product = 122
    tags = _epcs(product, 700, 20)
    before = on_hand(module_db, product, S01_STOCK)
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    device = {"name": "S01-EXIT-LLRP", "kind": "llrp", "port": f"127.0.0.1:{port}"}
    agent = AgentProcess(tmp_path, ingest.url, token, [device]).start()
    try:
        wait_for(lambda: agent.status()["devices"]["S01-EXIT-LLRP"]["last_error"], 15,
                 f"the missing reader shows on status\n{agent.log()}")
        assert agent.status()["devices"]["S01-EXIT-LLRP"]["connected"] is False
        with LlrpReaderEmulator(tags, port=port, rounds=2) as reader:
            wait_for(lambda: agent.status()["forwarder"]["acked"] == 2 * len(tags), 30,
                     f"tags acked once the reader is up\n{agent.log()}")
            assert reader.connections >= 1
        assert agent.terminate() == 0, agent.log()
    finally:
        if agent.process.poll() is None:
            agent.kill()
    assert on_hand(module_db, product, S01_STOCK) == before - len(tags)


def test_simulate_llrp_serves_the_profiles_tags_to_a_client():
    """``rtstock simulate llrp`` listens where told, gives a client every round of the
    profile's tags, then exits with its summary."""
    import json
    import subprocess
    import sys

    from support.agent_process import REPO, free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest_core.cli", "simulate", "llrp", "--url",
         f"tcp://127.0.0.1:{port}", "--count", "40", "--rounds", "2", "--linger", "0",
         "--no-progress", "--tags-per-s", "4000"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: _listening(port), 30, "the simulated reader listens")
        reports = _sllurp_session(port, [1], lambda seen: len(seen) >= 80)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    # payloads: connections served, the readiness probe's and the client's
    assert (summary["kind"], summary["reads"], summary["payloads"]) == ("llrp", 80, 2)
    epcs = {(r["EPC"].decode() if isinstance(r["EPC"], bytes) else r["EPC"]) for r in reports}
    assert len(reports) == 80 and len(epcs) == 40


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
