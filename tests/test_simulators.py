"""Simulators: seeded reproducibility, profile shapes, and real delivery over pty / HTTP."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections import Counter

import pytest
from support.agent_env import fake_ingest  # noqa: F401 - pytest fixture
from support.agent_process import REPO, AgentProcess, wait_for

from hardware.simulators import catalog, profiles
from hardware.simulators.pty_scanner import PtyScannerPort
from hardware.simulators.run import SimulationOptions, payloads, run_simulation


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingest_core.cli", "simulate", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_same_seed_same_bytes_other_seed_differs():
    """Every kind's output is a function of the seed."""
    for kind in ("serial", "http", "pos_gate", "impinj", "zebra", "speedway", "edgex"):
        first = _cli(kind, "--seed", "7", "--count", "300", "--out", "-").stdout
        again = _cli(kind, "--seed", "7", "--count", "300", "--out", "-").stdout
        other = _cli(kind, "--seed", "8", "--count", "300", "--out", "-").stdout
        assert first == again, f"{kind}: same seed, different output"
        assert first != other, f"{kind}: seed ignored"


def test_catalogue_codes_are_valid():
    """EAN-13 check digits and the first product's code match the catalogue spec."""
    assert catalog.ean13(0) == "4012345000009"
    for index in (1, 999, 1999):
        code = catalog.ean13(index)
        assert code[:8] == "40123450" and catalog.gs1_check_digit(code[:-1]) == code[-1]
    from ingest_core.decode.epc import decode_hex

    tag = decode_hex(catalog.sgtin96(0, 1))
    assert (tag.ok, tag.gtin, tag.serial, tag.filter) == (True, "04012345000009", "1", 1), tag


def test_cycle_count_shares_and_repeats():
    """N tags, each read several times, with about the chosen unknown/foreign shares."""
    tags = 5000
    reads = list(
        profiles.generate(
            "cycle_count", 3, tags, unknown_share=0.1, foreign_share=0.05, reads_per_tag=6
        )
    )
    per_tag = Counter(read.code for read in reads)
    assert len(per_tag) == tags and min(per_tag.values()) >= 1
    assert 4 < len(reads) / tags < 7
    fields = [(int(code, 16) >> 58 & 0xFFFFFF, int(code, 16) >> 38 & 0xFFFFF) for code in per_tag]
    foreign = sum(1 for company, _ in fields if company == int(catalog.FOREIGN_PREFIX))
    unknown = sum(
        1
        for company, item in fields
        if company == int(catalog.COMPANY_PREFIX) and item >= catalog.PRODUCT_COUNT
    )
    assert 0.08 < unknown / tags < 0.12, unknown
    assert 0.035 < foreign / tags < 0.065, foreign


def test_black_friday_is_much_busier_than_a_normal_day():
    """Same number of reads arrive far faster on the peak profile."""
    day = list(profiles.generate("normal_day", 1, 2000))
    peak = list(profiles.generate("black_friday", 1, 2000))
    assert day[-1].at_s / peak[-1].at_s > 10
    assert Counter(r.op for r in peak)["sale"] / len(peak) > 0.9


def test_http_scanner_posts_to_the_contract(fake_ingest):  # noqa: F811
    """HTTP scanner batches are applied by a contract peer."""
    summary = run_simulation(
        SimulationOptions(
            kind="http",
            profile="black_friday",
            count=250,
            device="SIM-HTTP",
            url=fake_ingest.url,
            token="test-token",
            batch_size=100,
            show_progress=False,
        )
    )
    assert summary["reads"] == 250 and summary["answers"] == {"200": 3}, summary
    assert len(fake_ingest.applications) == 250


def test_pos_gate_sells_each_tag_once_on_the_real_ingest(fast_db):
    """A POS gate's Impinj events reach the real ingest: one sale per tag, replays move nothing."""
    from tests.support.ingest import IngestProcess, create_device, query

    _id, token = create_device(fast_db, name="S01-GATE", kind="pos_gate", allowed=("sale",))
    options = SimulationOptions(kind="pos_gate", profile="black_friday", count=250,
                                device="SIM-GATE", token=token, batch_size=100,
                                show_progress=False)
    counts = []
    with IngestProcess(fast_db) as ingest:
        options.url = ingest.url
        for _attempt in range(2):  # the second run replays the very same payloads
            summary = run_simulation(options)
            assert summary["answers"] == {"200": 3}, summary
            counts.append(query(
                fast_db, "SELECT count(*), count(DISTINCT read_key) FROM rrs_event "
                         "WHERE operation = 'sale' AND device_id = %s", (_id,))[0])
    refused = query(fast_db, "SELECT count(DISTINCT read_key) FROM rrs_quarantine "
                             "WHERE device_id = %s AND reason_code = 'lot_required'", (_id,))[0][0]
    sales, distinct = counts[0]
    assert sales == distinct and sales + refused == 250, (counts, refused)
    assert counts[1] == counts[0], "replaying the gate's payloads sells nothing twice"


def test_serial_simulator_feeds_the_real_agent(tmp_path, fake_ingest):  # noqa: F811
    """The pty simulator (prefix, suffix, FNC1 substitute) is read by the real agent."""
    options = SimulationOptions(
        kind="serial",
        count=200,
        seed=5,
        prefix="]C1",
        suffix="!",
        terminator="\r\n",
        fnc1="~",
        link=str(tmp_path / "scanner"),
        start_delay_s=0,
        linger_s=0,
        show_progress=False,
    )
    expected = [
        data.decode().removeprefix("]C1").removesuffix("!\r\n").replace("~", "\x1d")
        for _, _, data in payloads(options)
    ]
    device = {
        "name": "S01-SCN-9",
        "port": str(tmp_path / "scanner"),
        "prefix": "]C1",
        "suffix": "!",
        "terminator": "\r\n",
        "fnc1": "~",
    }
    port = PtyScannerPort(str(tmp_path / "scanner"))
    agent = AgentProcess(tmp_path, fake_ingest.url, "test-token", [device]).start()
    try:
        for _, _, data in payloads(options):
            port.write(data)
        wait_for(lambda: len(fake_ingest.applications) == 200, 20, agent.log())
        assert [code for _, _, code in fake_ingest.applications] == expected
        assert any("\x1d" in code for code in expected), "profile should include a GS1 lot"
    finally:
        agent.terminate()
        port.close()


def test_rfid_vendor_payloads_carry_the_epcs():
    """Impinj and Zebra envelopes carry exactly the profile's EPCs."""
    base = dict(profile="cycle_count", count=100, seed=2, batch_size=50)
    epcs = [r.code for r in profiles.generate("cycle_count", 2, 100)]
    impinj = [e for _, _, p in payloads(SimulationOptions(kind="impinj", **base)) for e in p]
    zebra = [e for _, _, p in payloads(SimulationOptions(kind="zebra", **base)) for e in p]
    assert [e["tagInventoryEvent"]["epcHex"] for e in impinj] == epcs
    assert [e["data"]["idHex"].upper() for e in zebra] == epcs
    assert json.dumps(impinj[0])  # serialisable as posted


def test_vendor_payloads_parse_with_the_ingest_envelope_decoder():
    """The ingest's own parsers read every vendor simulator's payloads without error."""
    rfid_formats = pytest.importorskip("ingest_core.rfid.formats")
    base = dict(profile="cycle_count", count=200, seed=4, batch_size=64)
    epcs = [r.code for r in profiles.generate("cycle_count", 4, 200)]
    for kind, parse in (("impinj", rfid_formats.parse_impinj), ("zebra", rfid_formats.parse_zebra),
                        ("speedway", lambda body: rfid_formats.parse_payload(body, "speedway")),
                        ("edgex", lambda body: rfid_formats.parse_payload(body, "edgex"))):
        seen = []
        for _, _, payload in payloads(SimulationOptions(kind=kind, **base)):
            parsed = parse(json.dumps(payload))
            assert not parsed.errors, (kind, parsed.errors[:3])
            seen += [tag.epc for tag in parsed.reads]
        assert seen == epcs, kind


def test_alien_reader_pushes_over_tcp_and_each_tag_is_sold_once(fast_db):
    """The Alien simulator writes its notifications to the ingest's alien_port, the
    reader named as the exit device: every tag of a known product is sold once."""
    from tests.support.ingest import IngestProcess, create_device, free_port, query

    device_id, _token = create_device(fast_db, name="SIM-ALIEN", kind="rfid_fixed",
                                      rfid_role="exit", allowed=("sale",))
    port = free_port()
    options = SimulationOptions(kind="alien", profile="normal_day", count=120,
                                device="SIM-ALIEN", url=f"tcp://127.0.0.1:{port}",
                                batch_size=25, show_progress=False)
    with IngestProcess(fast_db, alien_port=port):
        summary = run_simulation(options)
        assert (summary["reads"], summary["payloads"]) == (120, 5), summary
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _settled(fast_db, device_id) < 120:
            time.sleep(0.2)
    assert _settled(fast_db, device_id) == 120, "each tag sold or quarantined, once"
    sold = query(fast_db, "SELECT count(*), count(DISTINCT read_key) FROM rrs_event "
                          "WHERE device_id = %s", (device_id,))[0]
    assert sold[0] == sold[1] > 100, sold


def _settled(dsn: str, device_id: int) -> int:
    from tests.support.ingest import query

    return query(dsn, "SELECT (SELECT count(*) FROM rrs_event WHERE device_id = %(d)s) "
                      "+ (SELECT count(*) FROM rrs_quarantine WHERE device_id = %(d)s)",
                 {"d": device_id})[0][0]


@pytest.mark.parametrize("profile", ["normal_day", "black_friday"])
def test_profiles_scan_lot_tracked_products_with_their_lot(profile):
    """A scan of a lot-tracked catalogue product carries its lot (GS1 AI 10): without it
    the ingest rejects it (``lot_required``), as the demo did to 1 % of its reads."""
    reads = list(itertools.islice(profiles.generate(profile, 7, 20_000), 20_000))
    plain = [read.code for read in reads if not read.code.startswith("01")]
    with_lot = [read.code for read in reads if read.code.startswith("01")]
    assert not [code for code in plain if catalog.lot_tracked(int(code[8:12]))], \
        "a lot-tracked product scanned without its lot"
    assert any(catalog.lot_tracked(int(code[11:15])) for code in with_lot), \
        "the profile never sold a lot-tracked product: nothing was checked"
